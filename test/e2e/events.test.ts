import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { admin, type Server, startServer, user } from "./harness.js"

let server: Server
let dora: string
let bob: string

/** A user of this test alone (the seeded ones are shared with nothing here, but their sequences are not ours). */
const USER = "events_dora"

beforeAll(async () => {
  server = await startServer()
  const root = await server.token(admin)
  await server.request("POST", "/api/admin/users", {
    token: root,
    body: { userId: USER, name: "Dora", currency: "USD" }
  })
  await server.request("POST", `/api/admin/users/${USER}/credit`, {
    token: root,
    body: { amount: "100.00", currency: "USD" },
    headers: { "idempotency-key": "fund-events" }
  })
  dora = await server.token(user(USER))
  bob = await server.token(user("user_002"))
  for (const amount of ["1.00", "2.00"]) {
    const r = await server.request("POST", "/api/payout", { token: dora, body: { userId: USER, amount } })
    expect(r.status).toBe(202)
    await server.waitForEvent(String(r.json.transactionId), "PAYOUT_COMPLETED")
  }
})
afterAll(() => server.stop())

const events = (token: string, query = "") => server.request("GET", `/api/events${query}`, { token })

describe("GET /api/events", () => {
  it("lists the caller's events oldest first, with decimal amounts, sequence and eventId", async () => {
    const r = await events(dora)
    expect(r.status).toBe(200)
    const list = r.json.events as Array<Record<string, unknown>>
    expect(list.map((e) => [e.sequence, e.type])).toEqual([
      [1, "PAYOUT_INITIATED"],
      [2, "PAYOUT_PROCESSING"],
      [3, "PAYOUT_COMPLETED"],
      [4, "PAYOUT_INITIATED"],
      [5, "PAYOUT_PROCESSING"],
      [6, "PAYOUT_COMPLETED"]
    ])
    expect(list[0]).toMatchObject({
      eventId: `evt_${USER}_0000000001`,
      userId: USER,
      status: "initiated",
      amount: 1,
      currency: "USD",
      newBalance: 99
    })
    expect(typeof list[0]?.timestamp).toBe("string")
    expect(r.json.nextCursor).toBe(`evt_${USER}_0000000006`)
  })

  it("pages with after and limit, filters by type; an empty page has no cursor", async () => {
    const first = await events(dora, "?limit=4")
    expect((first.json.events as Array<unknown>).length).toBe(4)
    expect(first.json.nextCursor).toBe(`evt_${USER}_0000000004`)
    const rest = await events(dora, `?limit=4&after=${first.json.nextCursor}`)
    expect((rest.json.events as Array<{ sequence: number }>).map((e) => e.sequence)).toEqual([5, 6])
    const end = await events(dora, `?after=${rest.json.nextCursor}`)
    expect(end.json).toEqual({ success: true, events: [], nextCursor: null })
    const done = await events(dora, "?type=PAYOUT_COMPLETED")
    expect((done.json.events as Array<{ sequence: number }>).map((e) => e.sequence)).toEqual([3, 6])
  })

  it("an admin reads a user's events with userId=; a user cannot", async () => {
    const r = await events(await server.token(admin), `?userId=${USER}&limit=1`)
    expect(r.status).toBe(200)
    expect((r.json.events as Array<{ eventId: string }>).map((e) => e.eventId)).toEqual([`evt_${USER}_0000000001`])
    const other = await events(bob, `?userId=${USER}`)
    expect(other.status).toBe(403)
    expect(other.json).toMatchObject({ success: false, code: "FORBIDDEN" })
    expect((await events(bob)).json).toMatchObject({ success: true })
  })

  it("needs a bearer token", async () => {
    const r = await server.request("GET", "/api/events")
    expect(r.status).toBe(401)
    expect(r.json).toMatchObject({ success: false, code: "UNAUTHORIZED" })
  })

  it.each([
    ["?after=nonsense", "after"],
    ["?after=evt_user_002_0000000001", "after"],
    [`?after=evt_${USER}_0000000000`, "after"],
    ["?limit=0", "limit"],
    ["?limit=101", "limit"],
    ["?type=PAYOUT_LOST", "type"]
  ])("%s is a 400 VALIDATION_ERROR naming %s", async (query, field) => {
    const r = await events(dora, query)
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ success: false, code: "VALIDATION_ERROR" })
    expect(JSON.stringify(r.json)).toContain(field)
  })
})
