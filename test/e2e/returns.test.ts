import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { admin, fundedUser, type Server, startServer } from "./harness.js"

let server: Server
let root: string
let owner: string
const USER = "return_rita"

beforeAll(async () => {
  // a rail slow enough that the payout is surely not completed yet when the early return is tried
  server = await startServer({ config: { PAYOUT_PROCESSING_DELAY_MS: "800" } })
  root = await server.token(admin)
  owner = await fundedUser(server, USER, "50.00")
})
afterAll(() => server.stop())

const returnIt = (id: string, body: unknown, token = root) =>
  server.request("POST", `/api/admin/payouts/${id}/return`, { token, body })

describe("POST /api/admin/payouts/:transactionId/return", () => {
  it("an admin records a bank return once: the amount is available again, PAYOUT_RETURNED is sent", async () => {
    const r = await server.request("POST", "/api/payout", { token: owner, body: { userId: USER, amount: "20.00" } })
    const id = String(r.json.transactionId)
    const early = await returnIt(id, { reason: "too early" })
    expect([early.status, early.json.code]).toEqual([409, "PAYOUT_NOT_RETURNABLE"])
    await server.waitForEvent(id, "PAYOUT_COMPLETED")

    expect((await returnIt(id, { reason: "x" }, owner)).status).toBe(403)
    expect((await returnIt(id, { reason: "" })).json.code).toBe("VALIDATION_ERROR")
    expect((await returnIt(id, {})).json.code).toBe("VALIDATION_ERROR")
    const done = await returnIt(id, { reason: "beneficiary account closed" })
    expect(done.status).toBe(200)
    expect(done.json.transaction).toMatchObject({
      status: "returned",
      returnReason: "beneficiary account closed",
      processingDetails: { returnedAt: expect.any(String) }
    })
    const event = await server.waitForEvent(id, "PAYOUT_RETURNED")
    expect(event).toMatchObject({ status: "returned", error: "beneficiary account closed", newBalance: 5_000 })
    const again = await returnIt(id, { reason: "again" })
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([200, "true"])
    const balance = await server.request("GET", `/api/payout/user/${USER}/balance`, { token: owner })
    expect([balance.json.available, balance.json.held]).toEqual([50, 0])
    expect((await server.request("GET", "/api/admin/reconcile", { token: root })).json.ok).toBe(true)
  })
})
