import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { isPublicAddress } from "../../src/infra/webhooks/addressPolicy.js"
import { checkWebhookUrl, PRIVATE_ADDRESS, type UrlPolicyOptions } from "../../src/infra/webhooks/urlPolicy.js"

const strict: UrlPolicyOptions = { allowHttp: false, allowPrivate: false }

/** A resolver that answers `addresses` for any name and counts its calls. */
const stub = (addresses: ReadonlyArray<string>) => {
  const calls: Array<string> = []
  const resolve = (host: string) => {
    calls.push(host)
    return Promise.resolve(addresses)
  }
  return { calls, resolve }
}

const refusal = (url: string, options: UrlPolicyOptions) =>
  checkWebhookUrl(url, options).pipe(
    Effect.flip,
    Effect.map((refused) => refused.message)
  )

describe("isPublicAddress", () => {
  it("accepts ordinary public unicast, IPv4-mapped included", () => {
    for (const ip of ["93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]) {
      expect(isPublicAddress(ip), ip).toBe(true)
    }
  })

  it("refuses loopback, private, link-local, metadata, CGNAT, special and malformed addresses", () => {
    const refused = [
      ...["127.0.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254"],
      ...["100.64.0.1", "100.100.100.200", "0.0.0.0", "255.255.255.255", "224.0.0.1", "240.0.0.1", "192.0.2.1"],
      ...["::1", "::", "fe80::1", "fe80::1%eth0", "fd00:ec2::254", "fc00::1", "ff02::1"],
      ...["::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "::7f00:1", "64:ff9b::7f00:1"],
      ...["2002:7f00:1::", "2001::1", "2001:db8::1", "127.1", "localhost", ""]
    ]
    for (const ip of refused) expect(isPublicAddress(ip), ip).toBe(false)
  })
})

describe("checkWebhookUrl", () => {
  it.effect("accepts https to a public address and gives the parsed URL back", () =>
    Effect.gen(function* () {
      const url = yield* checkWebhookUrl("https://93.184.215.14/hooks?x=1", strict)
      expect(url.href).toBe("https://93.184.215.14/hooks?x=1")
    })
  )

  it.effect("refuses http unless allowed, and any other scheme", () =>
    Effect.gen(function* () {
      expect(yield* refusal("http://93.184.215.14/hooks", strict)).toBe("url must use https")
      const http = yield* checkWebhookUrl("http://93.184.215.14/hooks", { ...strict, allowHttp: true })
      expect(http.protocol).toBe("http:")
      expect(yield* refusal("ftp://93.184.215.14/hooks", strict)).toBe("url must use https")
      expect(yield* refusal("file:///etc/passwd", { ...strict, allowHttp: true })).toBe("url must use http or https")
    })
  )

  it.effect("refuses credentials, relative URLs and overlong ones", () =>
    Effect.gen(function* () {
      expect(yield* refusal("https://user:pw@93.184.215.14/", strict)).toBe("url must not contain credentials")
      expect(yield* refusal("https://user@93.184.215.14/", strict)).toBe("url must not contain credentials")
      expect(yield* refusal("/hooks", strict)).toBe("url must be an absolute URL")
      expect(yield* refusal("hooks.example.com/x", strict)).toBe("url must be an absolute URL")
      const long = `https://93.184.215.14/${"a".repeat(2048)}`
      expect(yield* refusal(long, strict)).toBe("url must be at most 2048 characters")
    })
  )

  it.effect("checks IP-literal hosts directly, without resolving", () =>
    Effect.gen(function* () {
      const { calls, resolve } = stub(["93.184.215.14"])
      const literals = [
        ...["https://127.0.0.1/", "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://10.0.0.1/"],
        ...["https://169.254.169.254/latest/meta-data/", "https://100.100.100.200/", "https://[fd00:ec2::254]/"],
        // WHATWG URL parsing turns these into 127.0.0.1
        ...["https://0x7f.1/", "https://2130706433/"]
      ]
      for (const url of literals) expect(yield* refusal(url, { ...strict, resolve }), url).toBe(PRIVATE_ADDRESS)
      expect(calls).toEqual([])
    })
  )

  it.effect("resolves a name and refuses it when any of its addresses is not public", () =>
    Effect.gen(function* () {
      const inside = stub(["10.1.2.3"])
      expect(yield* refusal("https://hooks.example.com/", { ...strict, resolve: inside.resolve })).toBe(PRIVATE_ADDRESS)
      expect(inside.calls).toEqual(["hooks.example.com"])
      const mixed = stub(["93.184.215.14", "::1"])
      expect(yield* refusal("https://hooks.example.com/", { ...strict, resolve: mixed.resolve })).toBe(PRIVATE_ADDRESS)
    })
  )

  it.effect("accepts a name whose addresses are all public", () =>
    Effect.gen(function* () {
      const { resolve } = stub(["93.184.215.14"])
      const url = yield* checkWebhookUrl("https://hooks.example.com/in", { ...strict, resolve })
      expect(url.hostname).toBe("hooks.example.com")
    })
  )

  it.effect("refuses a name that does not resolve", () =>
    Effect.gen(function* () {
      const failing = { ...strict, resolve: () => Promise.reject(new Error("ENOTFOUND")) }
      expect(yield* refusal("https://nowhere.example/", failing)).toBe("url host could not be resolved")
      const empty = stub([])
      expect(yield* refusal("https://nowhere.example/", { ...strict, resolve: empty.resolve })).toBe(
        "url host could not be resolved"
      )
    })
  )

  it.effect("uses the system resolver when none is given: localhost is refused", () =>
    Effect.gen(function* () {
      expect(yield* refusal("https://localhost/", strict)).toBe(PRIVATE_ADDRESS)
    })
  )

  it.effect("with private addresses allowed, neither literals nor names are refused for where they point", () =>
    Effect.gen(function* () {
      const { calls, resolve } = stub(["10.1.2.3"])
      const open = { allowHttp: true, allowPrivate: true, resolve }
      expect((yield* checkWebhookUrl("http://127.0.0.1:8080/hooks", open)).port).toBe("8080")
      expect((yield* checkWebhookUrl("http://receiver.internal/hooks", open)).hostname).toBe("receiver.internal")
      expect(calls).toEqual([])
      expect(yield* refusal("https://user:pw@127.0.0.1/", open)).toBe("url must not contain credentials")
    })
  )
})
