import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fundedUser, type Server, startServer } from "./harness.js"

let server: Server
let owner: string
const USER = "sched_sam"

/** Recovery looks every 100 ms: a due payout is queued within that. */
const CONFIG = { RECOVERY_INTERVAL_MS: "100", SCHEDULE_MAX_DAYS: "90" }

const pay = (body: Record<string, unknown>) =>
  server.request("POST", "/api/payout", { token: owner, body: { userId: USER, amount: "5.00", ...body } })

const balance = async () => {
  const r = await server.request("GET", `/api/payout/user/${USER}/balance`, { token: owner })
  return { available: r.json.available, held: r.json.held }
}

beforeAll(async () => {
  server = await startServer({ config: CONFIG })
  owner = await fundedUser(server, USER, "100.00")
})
afterAll(() => server.stop())

describe("scheduled payouts: scheduledFor on POST /api/payout", () => {
  it("holds the amount at once, waits for its time, then settles; listed as scheduled until then", async () => {
    const at = new Date(Date.now() + 1_500)
    const r = await pay({ scheduledFor: at.toISOString() })
    expect(r.status).toBe(202)
    expect(r.json).toMatchObject({ status: "scheduled", scheduledFor: at.toISOString(), amount: 5 })
    const id = String(r.json.transactionId)
    expect(await balance()).toEqual({ available: 95, held: 5 })
    const scheduled = await server.waitForEvent(id, "PAYOUT_SCHEDULED")
    expect(scheduled.status).toBe("scheduled")
    const got = await server.request("GET", `/api/payout/${id}`, { token: owner })
    expect(got.json.transaction).toMatchObject({
      status: "scheduled",
      processingDetails: { scheduledFor: at.toISOString() }
    })
    const listed = await server.request("GET", `/api/payout/user/${USER}/history?status=scheduled`, { token: owner })
    expect((listed.json.transactions as Array<{ transactionId: string }>).map((t) => t.transactionId)).toContain(id)

    const processing = await server.waitForEvent(id, "PAYOUT_PROCESSING", 10_000)
    expect(processing.timestamp).toBeGreaterThanOrEqual(at.getTime())
    await server.waitForEvent(id, "PAYOUT_COMPLETED", 10_000)
    expect(await balance()).toEqual({ available: 95, held: 0 })
  })

  it("a scheduled payout can be canceled before its time; the amount is available again", async () => {
    const r = await pay({ scheduledFor: new Date(Date.now() + 86_400_000).toISOString(), amount: "7.00" })
    const id = String(r.json.transactionId)
    const before = await balance()
    const canceled = await server.request("POST", `/api/payout/${id}/cancel`, { token: owner })
    expect([canceled.status, (canceled.json.transaction as { status: string }).status]).toEqual([200, "canceled"])
    const after = await balance()
    expect(Number(after.available) - Number(before.available)).toBe(7)
  })

  it("refuses a time in the past, too far ahead or without a time zone, and moves nothing", async () => {
    const before = await balance()
    for (const [scheduledFor, message] of [
      [new Date(Date.now() - 1_000).toISOString(), "scheduledFor must be in the future"],
      [new Date(Date.now() + 91 * 86_400_000).toISOString(), "scheduledFor must be at most 90 days ahead"],
      ["2030-01-01T09:00:00", "scheduledFor must be an ISO 8601 date-time with a time zone, like 2026-12-24T09:00:00Z"],
      ["next week", "scheduledFor must be an ISO 8601 date-time with a time zone, like 2026-12-24T09:00:00Z"]
    ] as const) {
      const r = await pay({ scheduledFor })
      expect([r.status, r.json.code], scheduledFor).toEqual([400, "VALIDATION_ERROR"])
      expect(r.json.details).toEqual([{ field: "scheduledFor", message }])
    }
    expect(await balance()).toEqual(before)
  })

  it("an Idempotency-Key replay of a scheduled payout answers it as scheduled", async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString()
    const headers = { "idempotency-key": "sched-replay-1" }
    const body = { userId: USER, amount: "1.00", scheduledFor: at }
    const first = await server.request("POST", "/api/payout", { token: owner, body, headers })
    const again = await server.request("POST", "/api/payout", { token: owner, body, headers })
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([202, "true"])
    expect(again.json).toMatchObject({ transactionId: first.json.transactionId, status: "scheduled", scheduledFor: at })
  })
})
