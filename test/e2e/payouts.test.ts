import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { TransactionId } from "../../src/domain/index.js"
import { MemoryRail } from "../../src/ports/memory/settlementRail.js"
import { admin, type Server, startServer, user } from "./harness.js"

let server: Server
let alice: string
let bob: string

beforeAll(async () => {
  server = await startServer()
  alice = await server.token(user("user_001"))
  bob = await server.token(user("user_002"))
})
afterAll(() => server.stop())

const balance = async (userId: string, token: string) => {
  const r = await server.request("GET", `/api/payout/user/${userId}/balance`, { token })
  expect(r.status).toBe(200)
  return r.json
}

const payout = (token: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  server.request("POST", "/api/payout", { token, body, headers })

describe("POST /api/payout, end to end", () => {
  it("holds the amount at once, then settles it exactly", async () => {
    const before = await balance("user_003", await server.token(user("user_003")))
    const token = await server.token(user("user_003"))
    const r = await payout(token, { userId: "user_003", amount: 100.1, currency: "USD", description: "rent" })
    expect(r.status).toBe(202)
    expect(r.json).toMatchObject({
      success: true,
      status: "initiated",
      amount: 100.1,
      currency: "USD",
      message: "Payout request initiated successfully"
    })
    const id = String(r.json.transactionId)
    expect(id).toMatch(/^TXN_[0-9A-Z]+_[0-9A-F]{16}$/)
    expect(r.headers.get("ratelimit-limit")).not.toBeNull()

    // Held already when 202 was sent: PAYOUT_INITIATED went out before the 202 with the balance after the hold.
    const initiated = await server.waitForEvent(id, "PAYOUT_INITIATED")
    expect(Math.round(Number(before.available) * 100) - (initiated.newBalance ?? 0)).toBe(10_010)

    await server.waitForEvent(id, "PAYOUT_COMPLETED")
    const after = await balance("user_003", token)
    expect(after).toMatchObject({ available: 14899.9, balance: 14899.9, held: 0, currency: "USD" })

    const t = await server.request("GET", `/api/payout/${id}`, { token })
    expect(t.status).toBe(200)
    const tx = t.json.transaction as Record<string, unknown>
    expect(tx).toMatchObject({
      transactionId: id,
      userId: "user_003",
      amount: 100.1,
      status: "completed",
      description: "rent"
    })
    expect(tx.processingDetails).toMatchObject({ attempts: 1 })
    expect(Object.keys(tx)).not.toContain("_id")
    expect(new Date(String(tx.createdAt)).toISOString()).toBe(tx.createdAt)

    const audit = await server.request("GET", `/api/payout/${id}/audit`, { token })
    expect(audit.status).toBe(200)
    const actions = (audit.json.entries as Array<{ action: string }>).map((e) => e.action)
    expect(actions).toEqual(["PAYOUT_INITIATED", "PAYOUT_PROCESSING", "PAYOUT_COMPLETED"])
    const paid = await server.runtime.runPromise(Effect.flatMap(MemoryRail, (rail) => rail.receipts))
    expect(paid.has(TransactionId.make(id))).toBe(true)
  })

  it("events arrive in lifecycle order with decimal-free internal amounts", async () => {
    const r = await payout(alice, { userId: "user_001", amount: "12.34" })
    const id = String(r.json.transactionId)
    await server.waitForEvent(id, "PAYOUT_COMPLETED")
    const types = server.events.filter((e) => e.transactionId === id).map((e) => e.type)
    expect(types).toEqual(["PAYOUT_INITIATED", "PAYOUT_PROCESSING", "PAYOUT_COMPLETED"])
  })

  it("a permanent rail failure gives the money back", async () => {
    const before = await balance("user_002", bob)
    const r = await payout(bob, { userId: "user_002", amount: 50, metadata: { simulate: "fail" } })
    expect(r.status).toBe(202)
    const id = String(r.json.transactionId)
    const failed = await server.waitForEvent(id, "PAYOUT_FAILED")
    expect(failed.error).toBeTruthy()
    expect(await balance("user_002", bob)).toMatchObject({ available: before.available, held: 0 })
    const t = await server.request("GET", `/api/payout/${id}`, { token: bob })
    expect(t.json.transaction).toMatchObject({ status: "failed", failureReason: expect.any(String) })
  })

  it("a transient failure is retried and then paid", async () => {
    const r = await payout(bob, { userId: "user_002", amount: 5, metadata: { simulate: "transient_fail" } })
    const id = String(r.json.transactionId)
    await server.waitForEvent(id, "PAYOUT_COMPLETED")
    const t = await server.request("GET", `/api/payout/${id}`, { token: bob })
    expect(t.json.transaction).toMatchObject({ status: "completed", processingDetails: { attempts: 2 } })
  })

  it("another user's payout is not found; an admin sees it", async () => {
    const r = await payout(alice, { userId: "user_001", amount: 1 })
    const id = String(r.json.transactionId)
    const other = await server.request("GET", `/api/payout/${id}`, { token: bob })
    expect(other.status).toBe(404)
    expect(other.json).toEqual({ success: false, error: "Transaction not found", code: "TRANSACTION_NOT_FOUND" })
    expect((await server.request("GET", `/api/payout/${id}/audit`, { token: bob })).status).toBe(404)
    const asAdmin = await server.request("GET", `/api/payout/${id}`, { token: await server.token(admin) })
    expect(asAdmin.status).toBe(200)
  })

  it("balance in another currency and the list of balances", async () => {
    const eur = await server.request("GET", "/api/payout/user/user_001/balance?currency=EUR", { token: alice })
    expect(eur.json).toMatchObject({ currency: "EUR", balance: 0, available: 0, held: 0 })
    expect(eur.json.balances).toEqual(expect.arrayContaining([expect.objectContaining({ currency: "USD" })]))
  })
})

describe("a payout without a currency", () => {
  it("is in the user's own currency, not USD", async () => {
    const root = await server.token(admin)
    await server.request("POST", "/api/admin/users", { token: root, body: { userId: "eve_eur", currency: "EUR" } })
    await server.request("POST", "/api/admin/users/eve_eur/credit", {
      token: root,
      body: { amount: 100, currency: "EUR" }
    })
    const eve = await server.token(user("eve_eur"))
    const r = await payout(eve, { userId: "eve_eur", amount: 40 }, { "idempotency-key": "eur-1" })
    expect([r.status, r.json.currency]).toEqual([202, "EUR"])
    expect(await balance("eve_eur", eve)).toMatchObject({ currency: "EUR", available: 60 })
    // Naming the user's currency is the same request: a replay, not a 422.
    const named = await payout(eve, { userId: "eve_eur", amount: 40, currency: "EUR" }, { "idempotency-key": "eur-1" })
    expect([named.status, named.json.transactionId]).toEqual([202, r.json.transactionId])
    expect(named.headers.get("idempotent-replayed")).toBe("true")
    // An admin acting for the user also gets the user's currency.
    const forEve = await payout(root, { userId: "eve_eur", amount: 10 })
    expect([forEve.status, forEve.json.currency]).toEqual([202, "EUR"])
  })
})
