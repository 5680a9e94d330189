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

describe('metadata.simulate = "return": the simulated bank sends the payout back on its own', () => {
  let sim: Server
  const SIM_USER = "return_sim"
  const DELAY_MS = 1_500
  afterAll(() => sim?.stop())

  it("completed, then returned RAIL_SIMULATED_RETURN_DELAY_MS later by the system: PAYOUT_RETURNED, money back, once", async () => {
    sim = await startServer({
      config: { RAIL_SIMULATED_RETURN_DELAY_MS: String(DELAY_MS), RECOVERY_INTERVAL_MS: "100" }
    })
    const simRoot = await sim.token(admin)
    const simOwner = await fundedUser(sim, SIM_USER, "50.00")
    const r = await sim.request("POST", "/api/payout", {
      token: simOwner,
      body: { userId: SIM_USER, amount: "20.00", metadata: { simulate: "return" } }
    })
    expect(r.status).toBe(202)
    const id = String(r.json.transactionId)
    const completed = await sim.waitForEvent(id, "PAYOUT_COMPLETED")
    expect(completed.newBalance).toBe(3_000)
    const returned = await sim.waitForEvent(id, "PAYOUT_RETURNED", 10_000)
    expect(returned.timestamp).toBeGreaterThanOrEqual(completed.timestamp + DELAY_MS - 50)
    expect(returned).toMatchObject({ status: "returned", error: "Simulated bank return", newBalance: 5_000 })

    const got = await sim.request("GET", `/api/payout/${id}`, { token: simOwner })
    expect(got.json.transaction).toMatchObject({ status: "returned", returnReason: "Simulated bank return" })
    const audit = await sim.request("GET", `/api/payout/${id}/audit`, { token: simOwner })
    const entries = audit.json.entries as Array<{ action: string; details: Record<string, unknown> }>
    expect(entries.map((e) => e.action)).toEqual([
      "PAYOUT_INITIATED",
      "PAYOUT_PROCESSING",
      "PAYOUT_COMPLETED",
      "PAYOUT_RETURNED"
    ])
    expect(entries.at(-1)?.details).toMatchObject({ by: "system", reason: "Simulated bank return", amount: 20 })
    const balance = await sim.request("GET", `/api/payout/user/${SIM_USER}/balance`, { token: simOwner })
    expect([balance.json.available, balance.json.held]).toEqual([50, 0])
    // the admin path finds it returned already: a replay, nothing moves
    const again = await sim.request("POST", `/api/admin/payouts/${id}/return`, {
      token: simRoot,
      body: { reason: "x" }
    })
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([200, "true"])
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(sim.events.filter((e) => e.transactionId === id && e.type === "PAYOUT_RETURNED")).toHaveLength(1)
    expect((await sim.request("GET", "/api/admin/reconcile", { token: simRoot })).json.ok).toBe(true)
    // nobody may be created as the system's audit name
    const squat = await sim.request("POST", "/api/admin/users", { token: simRoot, body: { userId: "system" } })
    expect([squat.status, squat.json.code]).toEqual([409, "USER_EXISTS"])
  })
})
