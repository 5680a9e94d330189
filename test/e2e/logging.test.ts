import { Effect, HashMap, Logger, Tracer } from "effect"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { type Server, startServer, user } from "./harness.js"
import { parseRawResponse, rawExchange } from "./raw.js"

interface Line {
  readonly level: string
  readonly message: unknown
  readonly annotations: Record<string, unknown>
}

const lines: Array<Line> = []
const capture = Logger.make(({ logLevel, message, annotations }) => {
  lines.push({
    level: logLevel.label,
    message: Array.isArray(message) && message.length === 1 ? message[0] : message,
    annotations: Object.fromEntries(HashMap.toEntries(annotations))
  })
})

const spans: Array<Tracer.Span> = []
const native = Effect.runSync(Effect.tracer)
const tracer = Tracer.make({
  span: (...args) => {
    const span = native.span(...args)
    spans.push(span)
    return span
  },
  context: native.context
})

let server: Server
let token: string

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {}) // the runtime's own pretty logger
  server = await startServer({
    config: { LOG_LEVEL: "Debug", USER_RATE_LIMIT_MAX_REQUESTS: "2" },
    logger: capture,
    tracer
  })
  token = await server.token(user("user_001"))
})
afterAll(async () => {
  await server.stop()
  vi.restoreAllMocks()
})

const accessLine = (requestId: string) =>
  lines.find((l) => l.message === "http request" && l.annotations.requestId === requestId)
const linesOf = (requestId: string, message: string) =>
  lines.filter((l) => l.message === message && l.annotations.requestId === requestId)

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe("Request-Id", () => {
  it("is the caller's valid X-Request-Id, or a fresh one, on every response", async () => {
    const echoed = await server.request("GET", "/api/health", { headers: { "x-request-id": "lb-1.a_B-9" } })
    expect(echoed.headers.get("request-id")).toBe("lb-1.a_B-9")
    for (const bad of ["x".repeat(129), "has space", "semi;colon", "a/b", "<script>"]) {
      const r = await server.request("GET", "/api", { headers: { "x-request-id": bad } })
      expect([bad, r.headers.get("request-id")]).toEqual([bad, expect.stringMatching(UUID)])
    }
    const a = await server.request("GET", "/nowhere")
    const b = await server.request("GET", "/api/payout/user/user_001/balance")
    const preflight = await server.request("OPTIONS", "/api/payout", {
      headers: { origin: "https://x.example", "access-control-request-method": "POST" }
    })
    for (const r of [a, b, preflight]) expect(r.headers.get("request-id")).toMatch(UUID)
    expect(a.headers.get("request-id")).not.toBe(b.headers.get("request-id"))
  })

  it("is on the HTTP span", async () => {
    await server.request("GET", "/api/payout/user/user_001/balance", {
      token,
      headers: { "x-request-id": "span-check-1" }
    })
    const span = spans.find((s) => s.attributes.get("http.request_id") === "span-check-1")
    expect(span?.name).toBe("GET /api/payout/user/:userId/balance")
  })

  it("comes with node's parser refusals too, and they are logged", async () => {
    const reply = parseRawResponse(await rawExchange(server.port, "NOT HTTP\r\n\r\n"))
    const id = reply.headers.get("request-id") ?? ""
    expect(id).toMatch(UUID)
    await vi.waitFor(() => expect(linesOf(id, "http request refused by the parser")).toHaveLength(1))
    expect(linesOf(id, "http request refused by the parser")[0]?.annotations).toMatchObject({
      status: 400,
      code: "MALFORMED_REQUEST"
    })
  })
})

describe("the access log: one line per request", () => {
  it("an accepted payout: method, route, status, duration, request id, user; and the intake's outcome", async () => {
    const r = await server.request("POST", "/api/payout", {
      token,
      body: { userId: "user_001", amount: 1 },
      headers: { "x-request-id": "pay-1" }
    })
    expect(r.status).toBe(202)
    expect(accessLine("pay-1")).toMatchObject({
      level: "INFO",
      annotations: {
        method: "POST",
        route: "/api/payout",
        status: 202,
        durationMs: expect.any(Number),
        requestId: "pay-1",
        userId: "user_001",
        role: "user"
      }
    })
    expect(linesOf("pay-1", "http request")).toHaveLength(1)
    expect(linesOf("pay-1", "payout accepted")[0]?.annotations).toMatchObject({
      transactionId: r.json.transactionId,
      userId: "user_001",
      amount: 1,
      currency: "USD"
    })
  })

  it("a refused payout is logged with its code, then the per-user 429", async () => {
    const bad = await server.request("POST", "/api/payout", {
      token,
      body: { userId: "user_001", amount: -1 },
      headers: { "x-request-id": "pay-bad" }
    })
    expect(bad.status).toBe(400)
    expect(linesOf("pay-bad", "payout refused")[0]?.annotations).toMatchObject({
      code: "VALIDATION_ERROR",
      status: 400,
      actor: "user_001"
    })
    expect(accessLine("pay-bad")?.annotations).toMatchObject({ status: 400, code: "VALIDATION_ERROR" })
    const limited = await server.request("POST", "/api/payout", {
      token,
      body: { userId: "user_001", amount: 1 },
      headers: { "x-request-id": "pay-429" }
    })
    expect(limited.status).toBe(429)
    expect(linesOf("pay-429", "payout refused")[0]?.annotations).toMatchObject({ code: "USER_RATE_LIMIT_EXCEEDED" })
    expect(accessLine("pay-429")?.annotations).toMatchObject({
      status: 429,
      code: "USER_RATE_LIMIT_EXCEEDED",
      userId: "user_001"
    })
  })

  it("a 401 names its code and no user; a 404 its route as unmatched", async () => {
    await server.request("POST", "/api/payout", { body: {}, headers: { "x-request-id": "anon-1" } })
    const line = accessLine("anon-1")
    expect(line).toMatchObject({ level: "INFO", annotations: { status: 401, code: "UNAUTHORIZED" } })
    expect(line?.annotations.userId).toBeUndefined()
    await server.request("GET", "/wp-login.php", { headers: { "x-request-id": "scan-1" } })
    expect(accessLine("scan-1")?.annotations).toMatchObject({ route: "unmatched", status: 404, code: "NOT_FOUND" })
  })

  it("health probes and scrapes are logged at Debug only", async () => {
    await server.request("GET", "/api/health/live", { headers: { "x-request-id": "probe-1" } })
    await server.request("GET", "/metrics", { headers: { "x-request-id": "scrape-1" } })
    expect(accessLine("probe-1")).toMatchObject({ level: "DEBUG", annotations: { status: 200 } })
    expect(accessLine("scrape-1")).toMatchObject({ level: "DEBUG", annotations: { route: "/metrics" } })
  })
})
