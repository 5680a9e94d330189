import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { admin, fundedUser, type Server, startServer, user } from "./harness.js"

let server: Server
let owner: string
const USER = "batch_bea"

const batch = (body: unknown, token = owner, headers: Record<string, string> = {}) =>
  server.request("POST", "/api/payouts/batch", { token, body, headers })

const balance = async (userId = USER, token = owner) => {
  const r = await server.request("GET", `/api/payout/user/${userId}/balance`, { token })
  return { available: r.json.available, held: r.json.held }
}

type Item = { index: number; status: string; transactionId?: string; code?: string }

beforeAll(async () => {
  server = await startServer()
  owner = await fundedUser(server, USER, "100.00")
})
afterAll(() => server.stop())

describe("POST /api/payouts/batch", () => {
  it("validates the envelope and every item like a single payout, naming the item; nothing moves", async () => {
    const before = await balance()
    const tooMany = await batch({
      atomic: true,
      items: Array.from({ length: 101 }, () => ({ userId: USER, amount: 1 }))
    })
    expect([tooMany.status, tooMany.json.code, tooMany.json.details]).toEqual([
      400,
      "VALIDATION_ERROR",
      [{ field: "items", message: "items must be an array of 1 to 100 payouts" }]
    ])
    const empty = await batch({ atomic: true, items: [] })
    expect([empty.status, empty.json.code]).toEqual([400, "VALIDATION_ERROR"])
    const bad = await batch({
      atomic: false,
      items: [
        { userId: USER, amount: 1 },
        { userId: USER, amount: "1.001" }
      ]
    })
    expect([bad.status, bad.json.error, bad.json.details]).toEqual([
      400,
      "Invalid payout batch: item 1",
      [{ field: "items.1.amount", message: "amount must have at most 2 decimal places" }]
    ])
    expect((await batch({ items: [{ userId: USER, amount: 1 }] })).json.details).toEqual([
      { field: "atomic", message: "atomic is required" }
    ])
    expect(await balance()).toEqual(before)
  })

  it("a user may batch only for itself: one item for someone else is a 403 and nothing moves", async () => {
    const before = await balance()
    const r = await batch({
      atomic: false,
      items: [
        { userId: USER, amount: 1 },
        { userId: "user_002", amount: 1 }
      ]
    })
    expect([r.status, r.json.code]).toEqual([403, "FORBIDDEN"])
    expect(await balance()).toEqual(before)
  })

  it("atomic: one item that cannot be paid refuses the batch with per-item reasons; balances unchanged", async () => {
    const before = await balance()
    const r = await batch({
      atomic: true,
      items: [
        { userId: USER, amount: 1 },
        { userId: USER, amount: 1000 }
      ]
    })
    expect([r.status, r.json.code, r.json.items]).toEqual([
      422,
      "BATCH_REJECTED",
      [{ index: 1, status: "rejected", code: "INSUFFICIENT_BALANCE", message: "Insufficient balance for this payout" }]
    ])
    expect(await balance()).toEqual(before)
  })

  it("not atomic: an answer per item; GET shows them settled by the worker; a replay answers the same", async () => {
    const body = {
      atomic: false,
      items: [
        { userId: USER, amount: "2.00" },
        { userId: USER, amount: 5000 },
        { userId: USER, amount: 3 }
      ]
    }
    const headers = { "idempotency-key": "batch-1" }
    const r = await batch(body, owner, headers)
    expect(r.status).toBe(202)
    const items = r.json.items as Array<Item>
    expect(items.map((i) => [i.index, i.status, i.code])).toEqual([
      [0, "initiated", undefined],
      [1, "rejected", "INSUFFICIENT_BALANCE"],
      [2, "initiated", undefined]
    ])
    expect(r.headers.get("location")).toBe(`/api/payouts/batch/${r.json.batchId}`)
    for (const i of items) if (i.transactionId) await server.waitForEvent(i.transactionId, "PAYOUT_COMPLETED")
    const got = await server.request("GET", `/api/payouts/batch/${r.json.batchId}`, { token: owner })
    expect(got.json).toMatchObject({ batchId: r.json.batchId, createdBy: USER, atomic: false, itemCount: 3 })
    expect((got.json.items as Array<Item>).map((i) => i.status)).toEqual(["completed", "rejected", "completed"])
    const again = await batch(body, owner, headers)
    expect([again.status, again.headers.get("idempotent-replayed"), again.json.batchId]).toEqual([
      202,
      "true",
      r.json.batchId
    ])
    const reused = await batch({ ...body, atomic: true }, owner, headers)
    expect([reused.status, reused.json.code]).toEqual([422, "IDEMPOTENCY_KEY_REUSED"])
    const stranger = await server.request("GET", `/api/payouts/batch/${r.json.batchId}`, {
      token: await server.token(user("user_002"))
    })
    expect([stranger.status, stranger.json.code]).toEqual([404, "BATCH_NOT_FOUND"])
    const root = await server.request("GET", `/api/payouts/batch/${r.json.batchId}`, {
      token: await server.token(admin)
    })
    expect(root.status).toBe(200)
  })

  it("two atomic batches racing whose sum exceeds the balance: no overdraft, one whole batch wins", async () => {
    const racer = "batch_race"
    const token = await fundedUser(server, racer, "10.00")
    const body = {
      atomic: true,
      items: [
        { userId: racer, amount: 3 },
        { userId: racer, amount: 3 }
      ]
    }
    const results = await Promise.all([0, 1].map(() => batch(body, token)))
    expect(results.map((r) => r.status).sort()).toEqual([202, 422])
    // the worker may have settled the winner already: held then went to paid out
    expect((await balance(racer, token)).available).toBe(4)
  })
})
