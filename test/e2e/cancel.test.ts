import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { admin, type Server, startServer, user } from "./harness.js"

let server: Server
let root: string
let owner: string

/** One settlement at a time, each on the rail for 1.5 s: a second payout waits, initiated, behind the first. */
const SLOW_WORKER = { WORKER_CONCURRENCY: "1", PAYOUT_PROCESSING_DELAY_MS: "1500" }
const USER = "cancel_carl"

const pay = async (amount: string) => {
  const r = await server.request("POST", "/api/payout", { token: owner, body: { userId: USER, amount } })
  expect(r.status).toBe(202)
  // every 201/202 says where the new resource is
  expect(r.headers.get("location")).toBe(`/api/payout/${r.json.transactionId}`)
  return String(r.json.transactionId)
}

const balance = async () => {
  const r = await server.request("GET", `/api/payout/user/${USER}/balance`, { token: owner })
  return { available: r.json.available, held: r.json.held }
}

const cancel = (id: string, token = owner, headers: Record<string, string> = {}) =>
  server.request("POST", `/api/payout/${id}/cancel`, { token, headers })

beforeAll(async () => {
  server = await startServer({ config: SLOW_WORKER })
  root = await server.token(admin)
  const created = await server.request("POST", "/api/admin/users", {
    token: root,
    body: { userId: USER, currency: "USD" }
  })
  expect([created.status, created.headers.get("location")]).toEqual([201, `/api/payout/user/${USER}/balance`])
  await server.request("POST", `/api/admin/users/${USER}/credit`, {
    token: root,
    body: { amount: "100.00", currency: "USD" },
    headers: { "idempotency-key": "fund-cancel" }
  })
  owner = await server.token(user(USER))
})
afterAll(() => server.stop())

describe("POST /api/payout/:transactionId/cancel", () => {
  it("cancels a payout no worker has claimed: the hold is released, PAYOUT_CANCELED sent, a repeat changes nothing", async () => {
    const busy = await pay("10.00")
    await server.waitForEvent(busy, "PAYOUT_PROCESSING")
    const waiting = await pay("25.00")
    expect(await balance()).toEqual({ available: 65, held: 35 })

    const r = await cancel(waiting, owner, { "idempotency-key": "cancel-1" })
    expect(r.status).toBe(200)
    expect(r.json.transaction).toMatchObject({
      transactionId: waiting,
      status: "canceled",
      amount: 25,
      processingDetails: { canceledAt: expect.any(String), attempts: 0 }
    })
    expect(r.headers.get("idempotent-replayed")).toBeNull()
    const event = await server.waitForEvent(waiting, "PAYOUT_CANCELED")
    expect(event).toMatchObject({ status: "canceled", newBalance: 9_000 })
    expect(await balance()).toEqual({ available: 90, held: 10 })

    const again = await cancel(waiting, owner, { "idempotency-key": "cancel-1" })
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([200, "true"])
    expect((await cancel(waiting)).status).toBe(200)

    // the claimed one cannot be canceled; the canceled one is never settled
    const claimed = await cancel(busy)
    expect([claimed.status, claimed.json.code, claimed.json.error]).toEqual([
      409,
      "PAYOUT_NOT_CANCELABLE",
      "Only a payout no worker has claimed can be canceled; this one is processing"
    ])
    await server.waitForEvent(busy, "PAYOUT_COMPLETED")
    const done = await cancel(busy)
    expect([done.status, done.json.error]).toEqual([
      409,
      "Only a payout no worker has claimed can be canceled; this one is completed"
    ])
    const after = await server.request("GET", `/api/payout/${waiting}`, { token: owner })
    expect((after.json.transaction as { status: string }).status).toBe("canceled")
    expect(await balance()).toEqual({ available: 90, held: 0 })
    const audit = await server.request("GET", `/api/payout/${waiting}/audit`, { token: owner })
    expect((audit.json.entries as Array<{ action: string }>).map((e) => e.action)).toEqual([
      "PAYOUT_INITIATED",
      "PAYOUT_CANCELED"
    ])
    const history = await server.request("GET", `/api/payout/user/${USER}/history?status=canceled`, { token: owner })
    expect((history.json.transactions as Array<{ transactionId: string }>).map((t) => t.transactionId)).toEqual([
      waiting
    ])
    const reconcile = await server.request("GET", "/api/admin/reconcile", { token: root })
    expect(reconcile.json.ok).toBe(true)
  })

  it("only its owner or an admin may cancel; anyone else is answered as if it did not exist", async () => {
    const busy = await pay("1.00")
    await server.waitForEvent(busy, "PAYOUT_PROCESSING")
    const waiting = await pay("2.00")
    const stranger = await cancel(waiting, await server.token(user("user_002")))
    expect([stranger.status, stranger.json.code]).toEqual([404, "TRANSACTION_NOT_FOUND"])
    const byAdmin = await cancel(waiting, root)
    expect([byAdmin.status, (byAdmin.json.transaction as { status: string }).status]).toEqual([200, "canceled"])
    const audit = await server.request("GET", `/api/payout/${waiting}/audit`, { token: owner })
    expect((audit.json.entries as Array<{ details: Record<string, unknown> }>).at(-1)?.details).toMatchObject({
      by: "admin"
    })
    expect((await cancel("TXN_NOPE")).status).toBe(400)
    expect((await cancel("TXN_M3K9Z1AB_4F1C0D2E9A7B3C11")).status).toBe(404)
    expect((await server.request("POST", `/api/payout/${waiting}/cancel`)).status).toBe(401)
    const badKey = await cancel(waiting, owner, { "idempotency-key": "x".repeat(256) })
    expect([badKey.status, badKey.json.code]).toEqual([400, "VALIDATION_ERROR"])
    await server.waitForEvent(busy, "PAYOUT_COMPLETED")
  })

  it("an Idempotency-Key names one cancel: the same key replays it, on another payout it is a 422; no key still works", async () => {
    const busy = await pay("1.00")
    await server.waitForEvent(busy, "PAYOUT_PROCESSING")
    const [first, second, third] = [await pay("3.00"), await pay("4.00"), await pay("5.00")]
    const key = { "idempotency-key": "cancel-key-A" }

    const r = await cancel(first, owner, key)
    expect([r.status, r.headers.get("idempotent-replayed")]).toEqual([200, null])
    const again = await cancel(first, owner, key)
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([200, "true"])
    expect(again.json).toEqual(r.json)

    const before = await balance()
    const reused = await cancel(second, owner, key)
    expect([reused.status, reused.json.code]).toEqual([422, "IDEMPOTENCY_KEY_REUSED"])
    const still = await server.request("GET", `/api/payout/${second}`, { token: owner })
    expect((still.json.transaction as { status: string }).status).toBe("initiated")
    expect(await balance()).toEqual(before)

    // an admin's keys are its own: the user's key is no reuse for it
    const byAdmin = await cancel(first, root, key)
    expect([byAdmin.status, byAdmin.headers.get("idempotent-replayed")]).toEqual([200, "true"])

    // a refused cancel records nothing: its key can name another cancel afterwards
    const refused = await cancel(busy, owner, { "idempotency-key": "cancel-key-B" })
    expect([refused.status, refused.json.code]).toEqual([409, "PAYOUT_NOT_CANCELABLE"])
    const reusedAfterRefusal = await cancel(third, owner, { "idempotency-key": "cancel-key-B" })
    expect([reusedAfterRefusal.status, (reusedAfterRefusal.json.transaction as { status: string }).status]).toEqual([
      200,
      "canceled"
    ])

    // without a key a cancel works as before
    const plain = await cancel(second)
    expect([plain.status, (plain.json.transaction as { status: string }).status]).toEqual([200, "canceled"])
    expect([(await cancel(second)).headers.get("idempotent-replayed")]).toEqual(["true"])
    await server.waitForEvent(busy, "PAYOUT_COMPLETED")
    expect(server.events.filter((e) => e.transactionId === first && e.type === "PAYOUT_CANCELED")).toHaveLength(1)
    expect((await server.request("GET", "/api/admin/reconcile", { token: root })).json.ok).toBe(true)
  })
})
