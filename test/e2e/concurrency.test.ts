import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { admin, type Server, startServer, user } from "./harness.js"

let server: Server

beforeAll(async () => {
  server = await startServer({
    config: { LOCK_RETRY_COUNT: "5000", LOCK_RETRY_DELAY_MS: "1", WORKER_CONCURRENCY: "8" }
  })
})
afterAll(() => server.stop())

describe("many payouts at once on one user", () => {
  it("60 concurrent payouts that overdraw: what does not fit is refused, and the books balance to the cent", async () => {
    const token = await server.token(user("user_002")) // 5000.00
    const amounts = Array.from({ length: 60 }, (_, i) => 150 + (i % 7) * 0.01 + (i % 3)) // some 9000 in all
    const replies = await Promise.all(
      amounts.map((amount, i) =>
        server.request("POST", "/api/payout", {
          token,
          body: { userId: "user_002", amount, ...(i % 5 === 0 ? { metadata: { simulate: "fail" } } : {}) },
          headers: { "idempotency-key": `burst-${i}` }
        })
      )
    )
    const codes = new Set(replies.map((r) => (r.status === 202 ? "ACCEPTED" : String(r.json.code))))
    expect([...codes].every((c) => c === "ACCEPTED" || c === "INSUFFICIENT_BALANCE")).toBe(true)

    const accepted = replies.flatMap((r, i) => (r.status === 202 ? [{ id: String(r.json.transactionId), i }] : []))
    expect(accepted.length).toBeGreaterThan(25)
    expect(codes).toContain("INSUFFICIENT_BALANCE")

    const settled = await Promise.all(
      accepted.map(async (a) => {
        const failed = a.i % 5 === 0
        await server.waitForEvent(a.id, failed ? "PAYOUT_FAILED" : "PAYOUT_COMPLETED", 20_000)
        return failed ? 0 : Math.round((amounts[a.i] ?? 0) * 100)
      })
    )
    const paidCents = settled.reduce((s, c) => s + c, 0)
    expect(paidCents).toBeLessThanOrEqual(500_000)
    const balance = await server.request("GET", "/api/payout/user/user_002/balance", { token })
    expect(balance.json.held).toBe(0)
    expect(Math.round(Number(balance.json.available) * 100)).toBe(500_000 - paidCents)

    const history = await server.request("GET", "/api/payout/user/user_002/history?limit=100", { token })
    expect(history.json.count).toBe(accepted.length)

    const reconcile = await server.request("GET", "/api/admin/reconcile", { token: await server.token(admin) })
    expect(reconcile.status).toBe(200)
    expect(reconcile.json).toMatchObject({ success: true, ok: true, differences: [] })
    expect(Number(reconcile.json.accounts)).toBeGreaterThanOrEqual(3)
  })
})
