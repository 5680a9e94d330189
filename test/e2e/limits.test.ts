import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { UserId } from "../../src/domain/index.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { admin, type Server, startServer, user } from "./harness.js"

describe("per-IP rate limit on /api (RATE_LIMIT_MAX_REQUESTS)", () => {
  let server: Server
  beforeAll(async () => {
    server = await startServer({ config: { RATE_LIMIT_MAX_REQUESTS: "3", RATE_LIMIT_WINDOW_MS: "60000" } })
  })
  afterAll(() => server.stop())

  it("counts every /api request, answers 429 with Retry-After and RateLimit-*, never limits health or metrics", async () => {
    const token = await server.token(user("user_001"))
    const path = "/api/payout/user/user_001/balance"
    const first = await server.request("GET", path, { token })
    expect(first.status).toBe(200)
    expect(first.headers.get("ratelimit-limit")).toBe("3")
    expect(first.headers.get("ratelimit-remaining")).toBe("2")
    expect(Number(first.headers.get("ratelimit-reset"))).toBeGreaterThan(0)
    await server.request("GET", "/api/nowhere", { token }) // unknown routes under /api count too
    await server.request("GET", path) // and unauthenticated ones
    const limited = await server.request("POST", "/api/payout", { token, body: { userId: "user_001", amount: 1 } })
    expect(limited.status).toBe(429)
    expect(limited.json).toEqual({ success: false, error: expect.any(String), code: "RATE_LIMIT_EXCEEDED" })
    expect(limited.headers.get("retry-after")).toMatch(/^[1-9]\d*$/)
    expect(limited.headers.get("ratelimit-remaining")).toBe("0")
    for (const open of ["/api/health", "/api/health/detailed", "/api/health/ready", "/api/health/live", "/metrics"]) {
      expect((await server.request("GET", open)).status).toBe(200)
    }
    // Nothing was held by the refused payout (read from the store: the API itself is limited now).
    const store = await server.runtime.runPromise(
      Effect.flatMap(PayoutStore, (s) =>
        Effect.all({
          accounts: s.accounts(UserId.make("user_001")),
          page: s.history(UserId.make("user_001"), { limit: 10 })
        })
      )
    )
    expect(store.accounts.map((a) => a.held)).toEqual([0])
    expect(store.page.transactions).toEqual([])
  })
})

describe("per-user payout limit (USER_RATE_LIMIT_MAX_REQUESTS)", () => {
  let server: Server
  beforeAll(async () => {
    server = await startServer({ config: { USER_RATE_LIMIT_MAX_REQUESTS: "2" } })
  })
  afterAll(() => server.stop())

  it("the third payout of a user is a 429 USER_RATE_LIMIT_EXCEEDED, before the body is even read", async () => {
    const token = await server.token(user("user_002"))
    const body = { userId: "user_002", amount: 1 }
    const ok = await server.request("POST", "/api/payout", { token, body })
    expect(ok.status).toBe(202)
    expect(ok.headers.get("ratelimit-limit")).toBe("2")
    expect(ok.headers.get("ratelimit-remaining")).toBe("1")
    // A bad body still counts as an attempt and is a 400 while under the limit.
    expect((await server.request("POST", "/api/payout", { token, raw: "{" })).status).toBe(400)
    for (const attempt of [{ body }, { raw: "{" }, { body: { ...body, amount: -1 } }]) {
      const r = await server.request("POST", "/api/payout", { token, ...attempt })
      expect(r.status).toBe(429)
      expect(r.json).toEqual({ success: false, error: expect.any(String), code: "USER_RATE_LIMIT_EXCEEDED" })
      expect(r.headers.get("retry-after")).toMatch(/^[1-9]\d*$/)
      expect(r.headers.get("ratelimit-limit")).toBe("2")
    }
    // Another user has a window of their own; reads are not payouts.
    const alice = await server.token(user("user_001"))
    expect(
      (await server.request("POST", "/api/payout", { token: alice, body: { userId: "user_001", amount: 1 } })).status
    ).toBe(202)
    expect((await server.request("GET", "/api/payout/user/user_002/balance", { token })).json).toMatchObject({
      held: expect.any(Number)
    })
  })
})

describe("per-user payout limit, in order and without side effects", () => {
  let server: Server
  beforeAll(async () => {
    server = await startServer({ config: { USER_RATE_LIMIT_MAX_REQUESTS: "3", RATE_LIMIT_MAX_REQUESTS: "50" } })
  })
  afterAll(() => server.stop())

  it("a refused payout holds nothing; refusals before the limit keep the per-IP headers", async () => {
    const token = await server.token(user("user_003"))
    const body = { userId: "user_003", amount: 1 }
    const bad = await server.request("POST", "/api/payout", { token, body: { ...body, userId: "user_001" } })
    expect([bad.status, bad.json.code]).toEqual([403, "FORBIDDEN"])
    expect(bad.headers.get("ratelimit-limit")).toBe("50")
    for (const _ of [1, 2]) expect((await server.request("POST", "/api/payout", { token, body })).status).toBe(202)
    const limited = await server.request("POST", "/api/payout", { token, body })
    expect([limited.status, limited.json.code]).toEqual([429, "USER_RATE_LIMIT_EXCEEDED"])
    expect(limited.json.error).toBe("Too many payout requests for this user")
    expect(limited.headers.get("ratelimit-remaining")).toBe("0")
    const history = (await server.request("GET", "/api/payout/user/user_003/history", { token })).json
    expect(history.count).toBe(2)
    const other = await server.token(user("user_001"))
    const ok = await server.request("POST", "/api/payout", { token: other, body: { userId: "user_001", amount: 1 } })
    expect([ok.status, ok.headers.get("ratelimit-limit"), ok.headers.get("ratelimit-remaining")]).toEqual([
      202,
      "3",
      "2"
    ])
  })
})

describe("an admin's payouts count against the admin's own bucket", () => {
  let server: Server
  beforeAll(async () => {
    server = await startServer({ config: { USER_RATE_LIMIT_MAX_REQUESTS: "2" } })
  })
  afterAll(() => server.stop())

  it("never against the user they act for, nor a user whose id is the admin's", async () => {
    const root = await server.token(admin) // sub "admin", role admin
    // A user named like the admin: same id, another identity.
    await server.request("POST", "/api/admin/users", { token: root, body: { userId: admin.userId } })
    await server.request("POST", `/api/admin/users/${admin.userId}/credit`, {
      token: root,
      body: { amount: 10, currency: "USD" }
    })
    const forCharlie = () =>
      server.request("POST", "/api/payout", { token: root, body: { userId: "user_003", amount: 1 } })
    expect((await forCharlie()).status).toBe(202)
    expect((await forCharlie()).status).toBe(202)
    const third = await forCharlie()
    expect([third.status, third.json.code]).toEqual([429, "USER_RATE_LIMIT_EXCEEDED"])

    const charlie = await server.token(user("user_003"))
    const own = await server.request("POST", "/api/payout", { token: charlie, body: { userId: "user_003", amount: 1 } })
    expect([own.status, own.headers.get("ratelimit-remaining")]).toEqual([202, "1"])
    const namesake = await server.token(user(admin.userId))
    const theirs = await server.request("POST", "/api/payout", {
      token: namesake,
      body: { userId: admin.userId, amount: 1 }
    })
    expect([theirs.status, theirs.headers.get("ratelimit-remaining")]).toEqual([202, "1"])
  })
})

describe("per-IP rate limit behind proxies (TRUST_PROXY_HOPS)", () => {
  const asClient = (server: Server, forwardedFor: string) =>
    server.request("GET", "/api", { headers: { "x-forwarded-for": forwardedFor } })

  it("without trusted proxies, X-Forwarded-For cannot buy a client a fresh bucket", async () => {
    const server = await startServer({ config: { RATE_LIMIT_MAX_REQUESTS: "2" } })
    try {
      expect((await asClient(server, "203.0.113.1")).status).toBe(200)
      expect((await asClient(server, "203.0.113.2")).status).toBe(200)
      expect((await asClient(server, "203.0.113.3")).status).toBe(429)
    } finally {
      await server.stop()
    }
  })

  it("behind one proxy, each client has its own bucket, whatever it wrote in the header itself", async () => {
    const server = await startServer({ config: { RATE_LIMIT_MAX_REQUESTS: "2", TRUST_PROXY_HOPS: "1" } })
    try {
      // the proxy appends the address it saw; what the client sent before it is ignored
      expect((await asClient(server, "10.9.9.9, 198.51.100.7")).status).toBe(200)
      expect((await asClient(server, "10.9.9.8, 198.51.100.7")).status).toBe(200)
      expect((await asClient(server, "10.9.9.7, 198.51.100.7")).status).toBe(429)
      expect((await asClient(server, "198.51.100.8")).status).toBe(200)
    } finally {
      await server.stop()
    }
  })
})
