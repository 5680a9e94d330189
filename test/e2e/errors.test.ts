import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { UserId } from "../../src/domain/index.js"
import { UserLock } from "../../src/ports/UserLock.js"
import { admin, type Server, startServer, user } from "./harness.js"

let server: Server
let alice: string
let root: string

beforeAll(async () => {
  server = await startServer({ config: { LOCK_RETRY_COUNT: "2000", LOCK_RETRY_DELAY_MS: "2" } })
  alice = await server.token(user("user_001"))
  root = await server.token(admin)
})
afterAll(() => server.stop())

const payout = (token: string, body: unknown, headers?: Record<string, string>) =>
  server.request("POST", "/api/payout", { token, body, headers })

const holdLock = (userId: string, token: string) =>
  server.runtime.runPromise(Effect.flatMap(UserLock, (l) => l.tryAcquire(UserId.make(userId), token, 60_000)))
const releaseLock = (userId: string, token: string) =>
  server.runtime.runPromise(Effect.flatMap(UserLock, (l) => l.release(UserId.make(userId), token)))

const balanceOf = async (userId: string) =>
  (await server.request("GET", `/api/payout/user/${userId}/balance`, { token: root })).json

describe("error codes of docs/api.md", () => {
  it("403 FORBIDDEN for another user's account; admin endpoints need the admin role", async () => {
    const r = await payout(alice, { userId: "user_002", amount: 1 })
    expect(r.status).toBe(403)
    expect(r.json).toEqual({ success: false, error: expect.any(String), code: "FORBIDDEN" })
    expect((await server.request("GET", "/api/payout/user/user_002/balance", { token: alice })).status).toBe(403)
    expect((await server.request("GET", "/api/payout/user/user_002/history", { token: alice })).status).toBe(403)
    const adminOnly = await server.request("GET", "/api/admin/reconcile", { token: alice })
    expect(adminOnly.status).toBe(403)
    expect(adminOnly.json.code).toBe("FORBIDDEN")
    const bad = await server.request("PATCH", "/api/admin/users/!!", { token: alice, body: {} })
    expect(bad.status).toBe(403) // role first, then the request
  })

  it("404 USER_NOT_FOUND, 409 USER_EXISTS, 403 USER_NOT_ACTIVE", async () => {
    expect((await payout(root, { userId: "user_999", amount: 1 })).json.code).toBe("USER_NOT_FOUND")
    expect((await server.request("GET", "/api/payout/user/user_999/balance", { token: root })).status).toBe(404)
    const patch = await server.request("PATCH", "/api/admin/users/user_999", {
      token: root,
      body: { status: "closed" }
    })
    expect([patch.status, patch.json.code]).toEqual([404, "USER_NOT_FOUND"])

    const exists = await server.request("POST", "/api/admin/users", { token: root, body: { userId: "user_001" } })
    expect([exists.status, exists.json.code]).toEqual([409, "USER_EXISTS"])
    const created = await server.request("POST", "/api/admin/users", {
      token: root,
      body: { userId: "dora_01", name: "Dora", email: "dora@example.com", currency: "EUR" }
    })
    expect(created.status).toBe(201)
    expect(created.json.user).toEqual({
      userId: "dora_01",
      name: "Dora",
      email: "dora@example.com",
      currency: "EUR",
      status: "active",
      limits: {}
    })
    const badStatus = await server.request("PATCH", "/api/admin/users/dora_01", {
      token: root,
      body: { status: "gone" }
    })
    expect([badStatus.status, badStatus.json.code]).toEqual([400, "VALIDATION_ERROR"])

    const credited = await server.request("POST", "/api/admin/users/dora_01/credit", {
      token: root,
      body: { amount: "25.50", currency: "EUR" }
    })
    expect(credited.json).toEqual({ success: true, userId: "dora_01", currency: "EUR", available: 25.5 })
    const suspended = await server.request("PATCH", "/api/admin/users/dora_01", {
      token: root,
      body: { status: "suspended" }
    })
    expect(suspended.json.user).toMatchObject({ status: "suspended" })
    const dora = await server.token(user("dora_01"))
    const r = await payout(dora, { userId: "dora_01", amount: 1, currency: "EUR" })
    expect([r.status, r.json.code]).toEqual([403, "USER_NOT_ACTIVE"])

    await server.request("PATCH", "/api/admin/users/dora_01", { token: root, body: { status: "closed" } })
    const closed = await server.request("POST", "/api/admin/users/dora_01/credit", {
      token: root,
      body: { amount: 1, currency: "EUR" }
    })
    expect([closed.status, closed.json.code]).toEqual([403, "USER_NOT_ACTIVE"])
  })

  it("400 INSUFFICIENT_BALANCE moves nothing", async () => {
    const before = await balanceOf("user_002")
    const r = await payout(await server.token(user("user_002")), { userId: "user_002", amount: 5000.01 })
    expect([r.status, r.json.code]).toEqual([400, "INSUFFICIENT_BALANCE"])
    expect(await balanceOf("user_002")).toEqual(before)
  })

  it("404 TRANSACTION_NOT_FOUND and 404 NOT_FOUND for unknown routes", async () => {
    const r = await server.request("GET", "/api/payout/TXN_ABC_0123456789ABCDEF", { token: alice })
    expect(r.json).toEqual({ success: false, error: "Transaction not found", code: "TRANSACTION_NOT_FOUND" })
    const route = await server.request("GET", "/api/nothing/here?x=1", { token: alice })
    expect(route.status).toBe(404)
    expect(route.json).toEqual({
      success: false,
      error: "Route not found",
      code: "NOT_FOUND",
      path: "/api/nothing/here"
    })
  })

  it("Idempotency-Key: replay, reuse with another body, invalid keys", async () => {
    const body = { userId: "user_001", amount: 3 }
    const before = await balanceOf("user_001")
    const first = await payout(alice, body, { "idempotency-key": "order-1" })
    expect(first.status).toBe(202)
    expect(first.headers.get("idempotent-replayed")).toBeNull()
    const again = await payout(alice, { amount: 3, userId: "user_001" }, { "idempotency-key": "order-1" })
    expect(again.status).toBe(202)
    expect(again.headers.get("idempotent-replayed")).toBe("true")
    expect(again.json).toEqual(first.json)
    expect(Number(before.available) - Number((await balanceOf("user_001")).available)).toBeCloseTo(3, 10)

    const reused = await payout(alice, { ...body, amount: 4 }, { "idempotency-key": "order-1" })
    expect([reused.status, reused.json.code]).toEqual([422, "IDEMPOTENCY_KEY_REUSED"])

    // A body that differs only in metadata.__proto__ is no replay: the API would drop that key, so it is a 400.
    const sent = await payout(alice, { ...body, metadata: { a: 1 } }, { "idempotency-key": "order-proto" })
    expect(sent.status).toBe(202)
    const proto = await server.request("POST", "/api/payout", {
      token: alice,
      raw: '{"userId": "user_001", "amount": 3, "metadata": {"a": 1, "__proto__": "x"}}',
      headers: { "idempotency-key": "order-proto" }
    })
    expect([proto.status, proto.json.code, proto.headers.get("idempotent-replayed")]).toEqual([
      400,
      "VALIDATION_ERROR",
      null
    ])

    for (const key of ["x".repeat(256), "naïve", "tab\there"]) {
      const r = await payout(alice, body, { "idempotency-key": key })
      expect([r.status, r.json.code]).toEqual([400, "VALIDATION_ERROR"])
    }

    const credit = (amount: number) =>
      server.request("POST", "/api/admin/users/user_003/credit", {
        token: root,
        body: { amount, currency: "USD" },
        headers: { "idempotency-key": "fund-1" }
      })
    const c1 = await credit(10)
    const c2 = await credit(10)
    expect(c2.json).toEqual(c1.json)
    expect(c2.headers.get("idempotent-replayed")).toBe("true")
    expect((await credit(11)).json.code).toBe("IDEMPOTENCY_KEY_REUSED")
  })

  it("an admin's Idempotency-Key never collides with the user's own", async () => {
    const body = { userId: "user_001", amount: 2 }
    const mine = await payout(alice, body, { "idempotency-key": "shared-key" })
    expect(mine.status).toBe(202)
    const theirs = await payout(root, body, { "idempotency-key": "shared-key" })
    expect(theirs.status).toBe(202)
    expect(theirs.headers.get("idempotent-replayed")).toBeNull()
    expect(theirs.json.transactionId).not.toBe(mine.json.transactionId)
    // each replays its own, and a different body is a 422 only against one's own key
    const adminAgain = await payout(root, body, { "idempotency-key": "shared-key" })
    expect([adminAgain.json.transactionId, adminAgain.headers.get("idempotent-replayed")]).toEqual([
      theirs.json.transactionId,
      "true"
    ])
    expect((await payout(root, { ...body, amount: 5 }, { "idempotency-key": "shared-key" })).status).toBe(422)
    expect((await payout(alice, body, { "idempotency-key": "shared-key" })).json.transactionId).toBe(
      mine.json.transactionId
    )
    const other = await payout(root, { ...body, amount: 7 }, { "idempotency-key": "admin-only-key" })
    expect(other.status).toBe(202)
    const userWithAdminsKey = await payout(alice, { ...body, amount: 7 }, { "idempotency-key": "admin-only-key" })
    expect(userWithAdminsKey.json.transactionId).not.toBe(other.json.transactionId)
  })

  it("409 CONCURRENT_REQUEST and IDEMPOTENCY_KEY_IN_USE while a request holds the user", async () => {
    const lockToken = "test-holder"
    expect(await holdLock("user_003", lockToken)).toBe(true)
    const charlie = await server.token(user("user_003"))
    const body = { userId: "user_003", amount: 2 }
    // The first request waits for the lease (up to 2000 × 2 ms), holding its key.
    const first = payout(charlie, body, { "idempotency-key": "k-busy" })
    let inUse = await payout(charlie, body, { "idempotency-key": "k-busy" })
    for (let i = 0; i < 200 && inUse.status !== 409; i++) {
      inUse = await payout(charlie, body, { "idempotency-key": "k-busy" })
    }
    expect([inUse.status, inUse.json.code]).toEqual([409, "IDEMPOTENCY_KEY_IN_USE"])
    await releaseLock("user_003", lockToken)
    const done = await first
    expect(done.status).toBe(202)
    const replay = await payout(charlie, body, { "idempotency-key": "k-busy" })
    expect(replay.json.transactionId).toBe(done.json.transactionId)
  })
})

describe("409 CONCURRENT_REQUEST when the lease stays busy through its retries", () => {
  let busy: Server
  beforeAll(async () => {
    busy = await startServer({ config: { LOCK_RETRY_COUNT: "1", LOCK_RETRY_DELAY_MS: "1" } })
  })
  afterAll(() => busy.stop())

  it("answers 409 and moves nothing", async () => {
    await busy.runtime.runPromise(Effect.flatMap(UserLock, (l) => l.tryAcquire(UserId.make("user_002"), "x", 60_000)))
    const bob = await busy.token(user("user_002"))
    const r = await busy.request("POST", "/api/payout", { token: bob, body: { userId: "user_002", amount: 1 } })
    expect([r.status, r.json.code]).toEqual([409, "CONCURRENT_REQUEST"])
    const b = await busy.request("GET", "/api/payout/user/user_002/balance", { token: bob })
    expect(b.json).toMatchObject({ available: 5000, held: 0 })
  })
})
