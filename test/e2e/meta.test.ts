import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Server, startServer, user } from "./harness.js"

let server: Server
let token: string

beforeAll(async () => {
  server = await startServer({ config: { CORS_ORIGIN: "https://app.example.com" } })
  token = await server.token(user("user_003"))
})
afterAll(() => server.stop())

describe("history", () => {
  it("pages newest first with an opaque cursor, filters by status", async () => {
    const ids: Array<string> = []
    for (const i of [1, 2, 3, 4, 5]) {
      const r = await server.request("POST", "/api/payout", {
        token,
        body: { userId: "user_003", amount: i, ...(i === 3 ? { metadata: { simulate: "fail" } } : {}) }
      })
      ids.push(String(r.json.transactionId))
      await server.waitForEvent(String(r.json.transactionId), i === 3 ? "PAYOUT_FAILED" : "PAYOUT_COMPLETED")
    }
    const seen: Array<string> = []
    let cursor: string | null = null
    for (let page = 0; page < 5; page++) {
      const query: string = cursor === null ? "?limit=2" : `?limit=2&cursor=${cursor}`
      const r = await server.request("GET", `/api/payout/user/user_003/history${query}`, { token })
      expect(r.status).toBe(200)
      const txs = r.json.transactions as Array<{ transactionId: string }>
      expect(r.json.count).toBe(txs.length)
      seen.push(...txs.map((t) => t.transactionId))
      cursor = r.json.nextCursor as string | null
      if (cursor === null) break
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    }
    expect(seen).toEqual([...ids].reverse())
    const failed = await server.request("GET", "/api/payout/user/user_003/history?status=failed", { token })
    expect((failed.json.transactions as Array<{ transactionId: string }>).map((t) => t.transactionId)).toEqual([ids[2]])
    const all = await server.request("GET", "/api/payout/user/user_003/history", { token })
    expect(all.json).toMatchObject({ success: true, count: 5, nextCursor: null })
    expect(JSON.stringify(all.json)).not.toMatch(/"_id"|"_tag"|"ip"|stack/)
  })

  it("an empty cursor (`?limit=50&status=completed&cursor=`, docs/api.md) is the first page", async () => {
    const r = await server.request("GET", "/api/payout/user/user_003/history?limit=50&status=completed&cursor=", {
      token
    })
    expect(r.status).toBe(200)
    const first = await server.request("GET", "/api/payout/user/user_003/history?limit=50&status=completed", {
      token
    })
    expect(r.json).toEqual(first.json)
  })
})

describe("meta endpoints and the edge", () => {
  it("GET /metrics is Prometheus text with payouts, latencies, queue depth and HTTP requests", async () => {
    const r = await server.request("GET", "/metrics")
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/)
    const text = String(r.body)
    expect(text).toMatch(/# TYPE swiftpay_payouts_total counter/)
    expect(text).toMatch(/swiftpay_payouts_total\{status="completed"\} \d+/)
    expect(text).toMatch(/swiftpay_intake_duration_ms_bucket\{le="\+Inf"\} \d+/)
    expect(text).toMatch(/swiftpay_settlement_duration_ms_count \d+/)
    expect(text).toMatch(/swiftpay_queue_messages\{state="ready"\} \d+/)
    expect(text).toMatch(/swiftpay_http_requests_total\{method="POST",route="\/api\/payout",status="202"\} \d+/)
    expect(text).not.toMatch(/TXN_/)
  })

  it("the OpenAPI document describes every endpoint; Swagger UI is served", async () => {
    const doc = (await server.request("GET", "/api/openapi.json")).json
    expect(doc.openapi).toMatch(/^3\./)
    const paths = Object.keys(doc.paths as object)
    for (const p of [
      "/api/payout",
      "/api/payout/{transactionId}",
      "/api/payout/user/{userId}/history",
      "/api/admin/reconcile",
      "/api/events",
      "/api/webhooks",
      "/api/webhooks/{id}",
      "/api/webhooks/{id}/rotate-secret",
      "/api/webhooks/{id}/deliveries",
      "/api/webhooks/{id}/deliveries/{eventId}/retry",
      "/metrics"
    ]) {
      expect(paths).toContain(p)
    }
    // the request SwiftPay makes to an endpoint, its body referring to the event schema of the document
    const hook = (doc.webhooks as { payoutEvent: { post: Record<string, unknown> } }).payoutEvent.post
    expect(JSON.stringify(hook)).toContain("#/components/schemas/PayoutEvent")
    expect((doc.components as { schemas: Record<string, unknown> }).schemas).toHaveProperty("PayoutEvent")
    const docs = await server.request("GET", "/api/docs")
    expect(docs.headers.get("content-type")).toMatch(/text\/html/)
    expect((await server.request("GET", "/api")).json).toMatchObject({ success: true, docs: "/api/docs" })
  })

  it("security headers, CORS from CORS_ORIGIN, no X-Powered-By", async () => {
    const r = await server.request("GET", "/api/health", { headers: { origin: "https://app.example.com" } })
    expect(r.headers.get("x-content-type-options")).toBe("nosniff")
    expect(r.headers.get("x-frame-options")).toBe("DENY")
    expect(r.headers.get("referrer-policy")).toBe("no-referrer")
    expect(r.headers.get("x-powered-by")).toBeNull()
    expect(r.headers.get("access-control-allow-origin")).toBe("https://app.example.com")
    expect(r.headers.get("access-control-expose-headers")).toMatch(/Location/)
    const preflight = await server.request("OPTIONS", "/api/payout", {
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST" }
    })
    expect(preflight.status).toBeLessThan(300)
    expect(preflight.headers.get("access-control-allow-headers")).toMatch(/Idempotency-Key/)
  })

  it("Socket.IO answers on the same port", async () => {
    const r = await fetch(`${server.base}/socket.io/?EIO=4&transport=polling`)
    expect(r.status).toBe(200)
    expect(await r.text()).toMatch(/"sid"/)
  })
})
