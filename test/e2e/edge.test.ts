import * as Http from "node:http"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Server, startServer } from "./harness.js"
import { parseRawResponse, rawExchange } from "./raw.js"

let server: Server

beforeAll(async () => {
  server = await startServer({ config: { CORS_ORIGIN: "https://app.example.com" } })
})
afterAll(() => server.stop())

const SECURITY = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store"
}

const expectSecure = (headers: ReadonlyMap<string, string> | Headers) => {
  for (const [name, value] of Object.entries(SECURITY)) expect([name, headers.get(name)]).toEqual([name, value])
}

describe("requests node's parser refuses are answered in the error shape", () => {
  it.each([
    ["headers too large", `GET /api HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
    ["not HTTP at all", "HELLO THERE\r\n\r\n", 400],
    [
      "both Content-Length and Transfer-Encoding",
      "POST /api/payout HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400
    ],
    ["a Content-Length that is no number", "POST /api/payout HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400],
    ["a bad header line", "GET /api HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400]
  ])("%s: answered in JSON with the security headers", async (_name, bytes, status) => {
    const reply = parseRawResponse(await rawExchange(server.port, bytes))
    expect(reply.status).toBe(status)
    expect(reply.headers.get("content-type")).toMatch(/^application\/json/)
    expect(reply.headers.get("connection")).toBe("close")
    expectSecure(reply.headers)
    const body = JSON.parse(reply.body)
    expect(body).toEqual({ success: false, error: expect.any(String), code: expect.stringMatching(/^[A-Z_]+$/) })
    expect(Number(reply.headers.get("content-length"))).toBe(Buffer.byteLength(reply.body))
  })

  it("an unsupported Expect header → 417 JSON with the security headers", async () => {
    const reply = await new Promise<{ status: number; headers: Http.IncomingHttpHeaders; text: string }>(
      (resolve, reject) => {
        const request = Http.request(
          { host: "127.0.0.1", port: server.port, method: "GET", path: "/api", headers: { expect: "teapot" } },
          (response) => {
            let text = ""
            response.on("data", (chunk: Buffer) => {
              text += chunk.toString("utf8")
            })
            response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }))
          }
        )
        request.on("error", reject)
        request.end()
      }
    )
    expect(reply.status).toBe(417)
    expect(JSON.parse(reply.text)).toMatchObject({ success: false, code: "EXPECTATION_FAILED" })
    expectSecure(new Map(Object.entries(reply.headers).map(([k, v]) => [k, String(v)])))
  })

  it("the server keeps answering afterwards", async () => {
    await rawExchange(server.port, "HELLO\r\n\r\n")
    expect((await server.request("GET", "/api/health")).status).toBe(200)
  })
})

describe("every response of the API carries the security headers", () => {
  it.each([
    [
      "a CORS preflight",
      "OPTIONS",
      "/api/payout",
      { origin: "https://app.example.com", "access-control-request-method": "POST" }
    ],
    [
      "a preflight from another origin",
      "OPTIONS",
      "/api/payout",
      { origin: "https://evil.example", "access-control-request-method": "POST" }
    ],
    ["an unknown route", "GET", "/nowhere", {}],
    ["a 401", "GET", "/api/payout/user/user_001/balance", {}],
    ["the docs", "GET", "/api/docs", {}],
    ["metrics", "GET", "/metrics", {}],
    ["a HEAD", "HEAD", "/api/health", {}]
  ])("%s", async (_name, method, path, headers) => {
    const r = await server.request(method, path, { headers })
    expectSecure(r.headers)
  })
})
