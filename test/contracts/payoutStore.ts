import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Exit, type Layer, Option, TestClock } from "effect"
import {
  attemptOf,
  BatchId,
  type BatchPayout,
  type Currency,
  GIVEN_UP,
  IdempotencyScope,
  type LedgerEntry,
  minor,
  type NewPayout,
  TransactionId,
  UserId,
  type UserStatus
} from "../../src/domain/index.js"
import { type PayoutQuery, PayoutStore, type UserQuery, type UserWithAccounts } from "../../src/ports/PayoutStore.js"

export interface StoreContractOptions {
  /** Skip the cases this backend cannot honour, with the reason printed. */
  readonly skip?: Partial<Record<"concurrency" | "uniqueness" | "rollback", string>>
  /** Moves the clock: TestClock for memory, real waiting or no-op for a server. */
  readonly advance?: (ms: number) => Effect.Effect<void>
}

const LEASE_MS = 10_000
const lease = (owner: string) => ({ owner, ms: LEASE_MS })

let seq = 0
/** Ids unique across runs, so suites can share a database. */
export const freshUser = (prefix = "u") => UserId.make(`${prefix}_${Date.now().toString(36)}_${seq++}`)
export const freshTxn = () =>
  TransactionId.make(
    `TXN_${Date.now().toString(36).toUpperCase()}_${(seq++).toString(16).toUpperCase().padStart(16, "0")}`
  )

export const payout = (userId: UserId, cents: number, currency: Currency = "USD"): NewPayout => ({
  transactionId: freshTxn(),
  userId,
  amount: minor(cents),
  currency,
  description: null,
  metadata: {}
})

/** A user with `cents` funded in USD. */
export const fundedUser = (cents: number) =>
  Effect.gen(function* () {
    const store = yield* PayoutStore
    const userId = freshUser()
    yield* store.createUser({ userId, name: "Test", email: null, currency: "USD", status: "active" })
    if (cents > 0) yield* store.credit({ userId, amount: minor(cents), currency: "USD" }, null)
    return userId
  })

export const freshBatch = () =>
  BatchId.make(`BAT_${Date.now().toString(36).toUpperCase()}_${(seq++).toString(16).toUpperCase().padStart(16, "0")}`)

/** A batch of `cents` for `userId`, created by that user. */
export const batchOf = (
  atomic: boolean,
  items: ReadonlyArray<readonly [UserId, number]>,
  createdBy: UserId = items[0]?.[0] ?? UserId.make("nobody")
) => ({
  batchId: freshBatch(),
  createdBy,
  atomic,
  items: items.map(([userId, cents]): BatchPayout => ({ ...payout(userId, cents), currency: null }))
})

const balances = (userId: UserId) =>
  Effect.flatMap(PayoutStore, (s) => s.accounts(userId)).pipe(Effect.map((as) => as.find((a) => a.currency === "USD")))

const expectClean = Effect.flatMap(PayoutStore, (s) => s.reconcile).pipe(
  Effect.tap((r) => Effect.sync(() => expect(r.differences).toEqual([])))
)

export const payoutStoreContract = (
  name: string,
  layer: Layer.Layer<PayoutStore>,
  options: StoreContractOptions = {}
) => {
  const advance = options.advance ?? ((ms: number) => TestClock.adjust(ms))
  /** Why this backend cannot run the cases of `what`, printed once when they are registered as skipped. */
  const skipReason = (what: keyof NonNullable<StoreContractOptions["skip"]>) => {
    const reason = options.skip?.[what]
    if (reason) console.log(`[${name}] skipped ${what} cases: ${reason}`)
    return reason
  }

  describe(`PayoutStore contract: ${name}`, () => {
    it.layer(layer)((it) => {
      /** The test clock starts at wall time, so dates a real server keeps (TTL indexes) are not in 1970. */
      const test = <A, E>(
        title: string,
        body: () => Effect.Effect<A, E, PayoutStore>,
        skipBecause?: keyof NonNullable<StoreContractOptions["skip"]>
      ) =>
        (skipBecause !== undefined && skipReason(skipBecause) !== undefined ? it.effect.skip : it.effect)(title, () =>
          Effect.zipRight(TestClock.setTime(Date.now()), Effect.suspend(body))
        )

      test("users: create, duplicate, status", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = freshUser()
          const user = yield* store.createUser({
            userId,
            name: "A",
            email: "a@x.io",
            currency: "EUR",
            status: "active"
          })
          expect(user.currency).toBe("EUR")
          const dup = yield* Effect.flip(
            store.createUser({ userId, name: "B", email: null, currency: "USD", status: "active" })
          )
          expect(dup._tag).toBe("UserExists")
          expect((yield* store.setUserStatus(userId, "suspended")).status).toBe("suspended")
          expect(Option.map(yield* store.getUser(userId), (u) => u.status)).toEqual(Option.some("suspended"))
          expect((yield* Effect.flip(store.setUserStatus(freshUser(), "active")))._tag).toBe("UserNotFound")
        }))

      test("credit funds an account; closed users cannot be credited", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(10_000)
          const eur = yield* store.credit({ userId, amount: minor(250), currency: "EUR" }, null)
          expect(eur).toMatchObject({ available: 250, funded: 250, held: 0, paidOut: 0 })
          expect(yield* balances(userId)).toMatchObject({ available: 10_000, funded: 10_000 })
          yield* store.setUserStatus(userId, "closed")
          const err = yield* Effect.flip(store.credit({ userId, amount: minor(1), currency: "USD" }, null))
          expect(err._tag).toBe("UserNotActive")
          yield* expectClean
        }))

      test("reserve holds the money, checks user, status and funds", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const { transaction: t } = yield* store.reserve(payout(userId, 400), null)
          expect(t._tag).toBe("initiated")
          expect(t.attempts).toBe(0)
          expect(yield* balances(userId)).toMatchObject({ available: 600, held: 400, paidOut: 0, funded: 1_000 })
          const { transaction: again } = yield* store.reserve(
            { ...payout(userId, 400), transactionId: t.transactionId },
            null
          )
          expect(again.transactionId).toBe(t.transactionId)
          expect(yield* balances(userId)).toMatchObject({ available: 600, held: 400 })
          expect((yield* Effect.flip(store.reserve(payout(userId, 601), null)))._tag).toBe("InsufficientBalance")
          expect((yield* Effect.flip(store.reserve(payout(userId, 1, "GBP"), null)))._tag).toBe("InsufficientBalance")
          expect((yield* Effect.flip(store.reserve(payout(freshUser(), 1), null)))._tag).toBe("UserNotFound")
          yield* store.setUserStatus(userId, "suspended")
          expect((yield* Effect.flip(store.reserve(payout(userId, 1), null)))._tag).toBe("UserNotActive")
          expect(yield* balances(userId)).toMatchObject({ available: 600, held: 400 })
          yield* expectClean
        }))

      test("settle: processing → completed once, by the attempt that holds it; repeats are no-ops", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const { transaction: t } = yield* store.reserve(payout(userId, 300), null)
          const early = { transactionId: t.transactionId, attempt: 0, owner: "w1" }
          expect(yield* store.settle(early)).toMatchObject({ moved: false, transaction: { _tag: "initiated" } })
          const claim = yield* store.startProcessing(t.transactionId, 0, lease("w1"))
          expect(claim).toMatchObject({
            _tag: "Claimed",
            first: true,
            transaction: { _tag: "processing", attempts: 1, claimedBy: "w1" }
          })
          if (claim._tag !== "Claimed") return expect.unreachable()
          expect(claim.transaction.claimedUntil).toBe(claim.transaction.updatedAt + LEASE_MS)
          const ref = attemptOf(claim.transaction)
          // a duplicate of the first message while attempt 1 is live: busy, not a second attempt
          expect((yield* store.startProcessing(t.transactionId, 0, lease("w2")))._tag).toBe("Busy")
          // a foreign owner, or another attempt number, cannot finish it
          expect((yield* store.settle({ ...ref, owner: "w2" })).moved).toBe(false)
          expect((yield* store.release({ ...ref, attempt: 2 }, "x")).moved).toBe(false)
          const done = yield* store.settle(ref)
          expect(done).toMatchObject({ moved: true, transaction: { _tag: "completed" } })
          expect(yield* store.settle(ref)).toMatchObject({ moved: false, transaction: { _tag: "completed" } })
          expect(yield* store.release(ref, "late")).toMatchObject({ moved: false, transaction: { _tag: "completed" } })
          expect((yield* store.startProcessing(t.transactionId, 1, lease("w2")))._tag).toBe("Stale")
          expect(yield* store.renewLease(ref, LEASE_MS)).toBe(false)
          expect(yield* balances(userId)).toMatchObject({ available: 700, held: 0, paidOut: 300, funded: 1_000 })
          const actions = (yield* store.audit(t.transactionId)).map((e) => e.action)
          expect(actions).toEqual(["PAYOUT_INITIATED", "PAYOUT_PROCESSING", "PAYOUT_COMPLETED"])
          yield* expectClean
        }))

      test("release: only an expired lease is taken over; the old attempt can no longer move money", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const { transaction: t } = yield* store.reserve(payout(userId, 300), null)
          const first = yield* store.startProcessing(t.transactionId, 0, lease("w1"))
          if (first._tag !== "Claimed") return expect.unreachable()
          const old = attemptOf(first.transaction)
          yield* advance(LEASE_MS - 1)
          expect((yield* store.startProcessing(t.transactionId, 0, lease("w2")))._tag).toBe("Busy")
          expect((yield* store.startProcessing(t.transactionId, 1, lease("w2")))._tag).toBe("Busy")
          yield* advance(1)
          // the redelivered first message takes the abandoned attempt over
          const again = yield* store.startProcessing(t.transactionId, 0, lease("w2"))
          expect(again).toMatchObject({ _tag: "Claimed", first: false, transaction: { attempts: 2, claimedBy: "w2" } })
          if (again._tag !== "Claimed") return expect.unreachable()
          expect(yield* store.renewLease(old, LEASE_MS)).toBe(false)
          expect((yield* store.settle(old)).moved).toBe(false)
          const failed = yield* store.release(attemptOf(again.transaction), "rail said no")
          expect(failed).toMatchObject({ moved: true, transaction: { _tag: "failed", failureReason: "rail said no" } })
          expect((yield* store.release(attemptOf(again.transaction), "again")).moved).toBe(false)
          expect(yield* balances(userId)).toMatchObject({ available: 1_000, held: 0, paidOut: 0 })
          expect((yield* Effect.flip(store.settle({ ...old, transactionId: freshTxn() })))._tag).toBe(
            "TransactionNotFound"
          )
          yield* expectClean
        }))

      test("the heartbeat keeps the lease; a deferred attempt frees it for the retry message", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const { transaction: t } = yield* store.reserve(payout(userId, 100), null)
          const claim = yield* store.startProcessing(t.transactionId, 0, lease("w1"))
          if (claim._tag !== "Claimed") return expect.unreachable()
          const ref = attemptOf(claim.transaction)
          yield* advance(LEASE_MS - 100)
          expect(yield* store.renewLease(ref, LEASE_MS)).toBe(true)
          yield* advance(LEASE_MS - 100)
          expect((yield* store.startProcessing(t.transactionId, 0, lease("w2")))._tag).toBe("Busy")
          expect((yield* store.claimStuck(0, 1_000)).filter((s) => s.userId === userId)).toEqual([])

          const now = claim.transaction.updatedAt + 2 * (LEASE_MS - 100)
          const deferred = yield* store.deferAttempt(ref, now + 5_000)
          expect(deferred).toMatchObject({
            _tag: "processing",
            attempts: 1,
            claimedUntil: GIVEN_UP,
            queuedAt: now + 5_000
          })
          // a heartbeat landing late cannot revive a lease given up
          expect(yield* store.renewLease(ref, LEASE_MS)).toBe(false)
          // not Recovery's before the retry is due and idle
          expect((yield* store.claimStuck(1_000, 1_000)).filter((s) => s.userId === userId)).toEqual([])
          // the retry is not taken before it is due, and an older message (the first, redelivered) never takes it
          expect((yield* store.startProcessing(t.transactionId, 1, lease("w2")))._tag).toBe("Busy")
          yield* advance(5_000)
          expect((yield* store.startProcessing(t.transactionId, 0, lease("w2")))._tag).toBe("Stale")
          const retry = yield* store.startProcessing(t.transactionId, 1, lease("w2"))
          expect(retry).toMatchObject({ _tag: "Claimed", transaction: { attempts: 2, claimedBy: "w2" } })
          // a deferral by an attempt that lost the payout changes nothing
          expect(yield* store.deferAttempt(ref, 0)).toMatchObject({ attempts: 2, claimedBy: "w2" })
          // a lease renewed for 0 ms ends now: the message that started it takes it over at once
          if (retry._tag !== "Claimed") return expect.unreachable()
          expect(yield* store.renewLease(attemptOf(retry.transaction), 0)).toBe(true)
          expect(yield* store.startProcessing(t.transactionId, 1, lease("w3"))).toMatchObject({
            _tag: "Claimed",
            transaction: { attempts: 3, claimedBy: "w3" }
          })
        }))

      test("a heartbeat or deferral moves only its own attempt: not another owner's, not the same owner's earlier one", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const { transaction: t } = yield* store.reserve(payout(userId, 100), null)
          const first = yield* store.startProcessing(t.transactionId, 0, lease("w1"))
          if (first._tag !== "Claimed") return expect.unreachable()
          const ref1 = attemptOf(first.transaction)
          expect(yield* store.renewLease({ ...ref1, owner: "w2" }, LEASE_MS)).toBe(false)
          yield* advance(LEASE_MS)
          // the same worker takes its own expired attempt over (the first message, redelivered to it)
          const second = yield* store.startProcessing(t.transactionId, 0, lease("w1"))
          expect(second).toMatchObject({ _tag: "Claimed", transaction: { attempts: 2, claimedBy: "w1" } })
          if (second._tag !== "Claimed") return expect.unreachable()
          const ref2 = attemptOf(second.transaction)
          const until = second.transaction.claimedUntil
          yield* advance(100)
          expect(yield* store.renewLease(ref1, LEASE_MS)).toBe(false)
          expect(yield* store.deferAttempt(ref1, 0)).toMatchObject({ attempts: 2, claimedUntil: until })
          expect(yield* store.renewLease({ ...ref2, owner: "w2" }, LEASE_MS)).toBe(false)
          expect(yield* store.getTransaction(t.transactionId)).toMatchObject({ value: { claimedUntil: until } })
          expect(yield* store.renewLease(ref2, LEASE_MS)).toBe(true)
          expect(yield* store.getTransaction(t.transactionId)).toMatchObject({
            value: { attempts: 2, claimedBy: "w1", claimedUntil: until + 100 }
          })
        }))

      test("claimStuck: idle initiated and lease-expired payouts, once per idle period across callers", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const mine = (ts: ReadonlyArray<{ readonly userId: UserId; readonly transactionId: TransactionId }>) =>
            ts.filter((x) => x.userId === userId).map((x) => x.transactionId)
          const { transaction: a } = yield* store.reserve(payout(userId, 1), null)
          const { transaction: live } = yield* store.reserve(payout(userId, 2), null)
          const { transaction: dead } = yield* store.reserve(payout(userId, 3), null)
          const { transaction: done } = yield* store.reserve(payout(userId, 4), null)
          yield* store.startProcessing(live.transactionId, 0, { owner: "w1", ms: 60_000 })
          yield* store.startProcessing(dead.transactionId, 0, { owner: "w1", ms: 1_000 })
          const d = yield* store.startProcessing(done.transactionId, 0, lease("w1"))
          if (d._tag !== "Claimed") return expect.unreachable()
          yield* store.settle(attemptOf(d.transaction))
          expect(mine(yield* store.claimStuck(4_000, 1_000))).toEqual([])
          yield* advance(5_000)
          const racing = yield* Effect.all(
            [0, 1, 2].map(() => store.claimStuck(4_000, 1_000)),
            {
              concurrency: "unbounded"
            }
          )
          const claimed = racing.flatMap(mine)
          expect([...claimed].sort()).toEqual([a.transactionId, dead.transactionId].sort())
          expect(mine(yield* store.claimStuck(4_000, 1_000))).toEqual([])
          yield* advance(4_000)
          expect([...mine(yield* store.claimStuck(4_000, 1_000))].sort()).toEqual(
            [a.transactionId, dead.transactionId].sort()
          )
          // a payout whose message did not reach the broker is due at once
          const { transaction: unqueued } = yield* store.reserve(payout(userId, 5), null)
          yield* store.markUnqueued(unqueued.transactionId)
          expect(mine(yield* store.claimStuck(4_000, 1_000))).toEqual([unqueued.transactionId])
          yield* store.markUnqueued(done.transactionId)
          expect(mine(yield* store.claimStuck(0, 1_000))).not.toContain(done.transactionId)
          expect(yield* store.getTransaction(done.transactionId)).toMatchObject({ value: { _tag: "completed" } })
        }))

      test("idempotency: start, replay, reuse, in flight, abandon, lapse", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const claim = { scope: IdempotencyScope.payout(userId), key: "k1", fingerprint: "f1" }
          const begun = yield* store.beginIdempotent(claim, 60_000)
          if (begun._tag !== "Started") return expect.unreachable()
          expect((yield* Effect.flip(store.beginIdempotent(claim, 60_000)))._tag).toBe("IdempotencyKeyInUse")
          expect((yield* Effect.flip(store.beginIdempotent({ ...claim, fingerprint: "f2" }, 60_000)))._tag).toBe(
            "IdempotencyKeyReused"
          )
          const { transaction: t } = yield* store.reserve(payout(userId, 100), begun.ticket)
          const replay = yield* store.beginIdempotent(claim, 60_000)
          expect(replay).toEqual({
            _tag: "Replay",
            result: { _tag: "Payout", transactionId: t.transactionId, amount: 100, currency: "USD" }
          })
          expect((yield* Effect.flip(store.reserve(payout(userId, 100), begun.ticket)))._tag).toBe(
            "IdempotencyKeyInUse"
          )
          expect(yield* balances(userId)).toMatchObject({ available: 900, held: 100 })

          const other = { scope: IdempotencyScope.payout(userId), key: "k2", fingerprint: "f" }
          const second = yield* store.beginIdempotent(other, 60_000)
          if (second._tag !== "Started") return expect.unreachable()
          yield* store.abandonIdempotent(second.ticket)
          expect((yield* store.beginIdempotent(other, 60_000))._tag).toBe("Started")

          const lapsing = { scope: IdempotencyScope.payout(userId), key: "k3", fingerprint: "f" }
          const dead = yield* store.beginIdempotent(lapsing, 1_000)
          if (dead._tag !== "Started") return expect.unreachable()
          yield* advance(1_100)
          const taken = yield* store.beginIdempotent(lapsing, 60_000)
          expect(taken._tag).toBe("Started")
          const late = yield* Effect.flip(store.reserve(payout(userId, 1), dead.ticket))
          expect(late._tag).toBe("IdempotencyKeyInUse")
          // the same key in every other scope is another key: another user's, an admin's for this user, a credit's
          const elsewhere = [
            IdempotencyScope.payout(UserId.make("someone_else")),
            IdempotencyScope.payout(userId, UserId.make("ops_admin")),
            IdempotencyScope.credit(userId)
          ]
          for (const scope of elsewhere) {
            expect((yield* store.beginIdempotent({ ...claim, scope, fingerprint: "f9" }, 60_000))._tag).toBe("Started")
          }
        }))

      test("credit with an idempotency ticket remembers its answer", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(0)
          const claim = { scope: IdempotencyScope.credit(userId), key: "c1", fingerprint: "f" }
          const begun = yield* store.beginIdempotent(claim, 60_000)
          if (begun._tag !== "Started") return expect.unreachable()
          yield* store.credit({ userId, amount: minor(500), currency: "USD" }, begun.ticket)
          const replay = yield* store.beginIdempotent(claim, 60_000)
          expect(replay).toEqual({
            _tag: "Replay",
            result: { _tag: "Credit", userId, currency: "USD", available: 500 }
          })
        }))

      test("history: newest first, status filter, cursor pages", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(10_000)
          const ids = []
          for (let i = 0; i < 5; i++) {
            ids.push((yield* store.reserve(payout(userId, 10 + i), null)).transaction.transactionId)
            yield* advance(10)
          }
          const claim = yield* store.startProcessing(ids[0] ?? freshTxn(), 0, lease("w1"))
          if (claim._tag !== "Claimed") return expect.unreachable()
          yield* store.settle(attemptOf(claim.transaction))
          const first = yield* store.history(userId, { limit: 2 })
          expect(first.transactions.map((t) => t.transactionId)).toEqual([ids[4], ids[3]])
          const second = yield* store.history(userId, { limit: 2, cursor: first.nextCursor ?? undefined })
          expect(second.transactions.map((t) => t.transactionId)).toEqual([ids[2], ids[1]])
          const third = yield* store.history(userId, { limit: 2, cursor: second.nextCursor ?? undefined })
          expect(third.transactions.map((t) => t.transactionId)).toEqual([ids[0]])
          expect(third.nextCursor).toBeNull()
          const completed = yield* store.history(userId, { limit: 50, status: "completed" })
          expect(completed.transactions.map((t) => t.transactionId)).toEqual([ids[0]])
          expect((yield* store.history(freshUser(), { limit: 10 })).transactions).toEqual([])
        }))

      test("history: an exactly full last page has no nextCursor", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(10_000)
          for (let i = 0; i < 4; i++) {
            yield* store.reserve(payout(userId, 10 + i), null)
            yield* advance(10)
          }
          const first = yield* store.history(userId, { limit: 2 })
          expect(first.nextCursor).not.toBeNull()
          const last = yield* store.history(userId, { limit: 2, cursor: first.nextCursor ?? undefined })
          expect(last.transactions).toHaveLength(2)
          expect(last.nextCursor).toBeNull()
          expect((yield* store.history(userId, { limit: 4 })).nextCursor).toBeNull()
          expect((yield* store.history(userId, { limit: 3 })).nextCursor).not.toBeNull()
        }))

      test("ledger: an account's postings oldest first, the balance after each, paged without gaps or repeats", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const { transaction: a } = yield* store.reserve(payout(userId, 300), null)
          const { transaction: b } = yield* store.reserve(payout(userId, 200), null)
          const claim = yield* store.startProcessing(a.transactionId, 0, lease("w1"))
          if (claim._tag !== "Claimed") return expect.unreachable()
          yield* store.settle(attemptOf(claim.transaction))
          yield* store.cancel(b.transactionId, userId)
          yield* store.recordReturn(a.transactionId, "bank", userId)
          yield* store.credit({ userId, amount: minor(50), currency: "GBP" }, null)
          const row = (e: LedgerEntry) => [e.seq, e.kind, e.transactionId, e.lines[1]?.amount, e.balanceAfter]
          const bal = (available: number, held: number, paidOut: number) => ({ available, held, paidOut })
          const all = yield* store.ledger(userId, { currency: "USD", limit: 100 })
          expect(all.entries.map(row)).toEqual([
            [1, "FUND", null, 1_000, bal(1_000, 0, 0)],
            [2, "RESERVE", a.transactionId, 300, bal(700, 300, 0)],
            [3, "RESERVE", b.transactionId, 200, bal(500, 500, 0)],
            [4, "SETTLE", a.transactionId, 300, bal(500, 200, 300)],
            [5, "RELEASE", b.transactionId, 200, bal(700, 0, 300)],
            [6, "RETURN", a.transactionId, 300, bal(1_000, 0, 0)]
          ])
          expect(all.nextCursor).toBeNull()
          // pages of 4, 2: every posting once, in order; an exactly full last page has no cursor
          const first = yield* store.ledger(userId, { currency: "USD", limit: 4 })
          expect(first.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4])
          expect(first.nextCursor).toBe(4)
          const second = yield* store.ledger(userId, { currency: "USD", limit: 2, cursor: first.nextCursor ?? 0 })
          expect(second.entries.map((e) => e.seq)).toEqual([5, 6])
          expect(second.nextCursor).toBeNull()
          // one account at a time: the GBP account has its own sequence
          const gbp = yield* store.ledger(userId, { currency: "GBP", limit: 10 })
          expect(gbp.entries.map(row)).toEqual([[1, "FUND", null, 50, bal(50, 0, 0)]])
          expect((yield* store.ledger(freshUser(), { currency: "USD", limit: 10 })).entries).toEqual([])
          yield* expectClean
        }))

      test("payouts: across users, newest first, filtered by status, user and creation time, paged", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          // a window of time no other case writes in
          yield* TestClock.adjust(100 * 365 * 86_400_000 + seq * 1_000_000)
          const from = yield* Clock.currentTimeMillis
          const alice = yield* fundedUser(10_000)
          const bob = yield* fundedUser(10_000)
          const ids: Array<TransactionId> = []
          for (let i = 0; i < 6; i++) {
            ids.push((yield* store.reserve(payout(i % 2 === 0 ? alice : bob, 10 + i), null)).transaction.transactionId)
            yield* advance(10)
          }
          // two in the same millisecond: the id breaks the tie
          ids.push((yield* store.reserve(payout(alice, 1), null)).transaction.transactionId)
          ids.push((yield* store.reserve(payout(bob, 1), null)).transaction.transactionId)
          const to = (yield* Clock.currentTimeMillis) + 1
          yield* store.cancel(ids[1] ?? freshTxn(), bob)
          const window = { createdFrom: from, createdBefore: to }
          const walk = (q: Omit<PayoutQuery, "cursor">) =>
            Effect.gen(function* () {
              const seen: Array<TransactionId> = []
              let cursor: PayoutQuery["cursor"]
              for (let pages = 0; pages < 20; pages++) {
                const page = yield* store.payouts({ ...q, cursor })
                seen.push(...page.transactions.map((t) => t.transactionId))
                if (page.nextCursor === null) return seen
                cursor = page.nextCursor
              }
              return seen
            })
          const newest = [...ids.slice(0, 6)].reverse()
          const tied = [ids[6], ids[7]].sort().reverse() as Array<TransactionId>
          const everything = [...tied, ...newest]
          expect(yield* walk({ ...window, limit: 3 })).toEqual(everything)
          expect(yield* walk({ ...window, limit: 100 })).toEqual(everything)
          expect(yield* walk({ ...window, limit: 1 })).toEqual(everything)
          const bobs = yield* walk({ ...window, limit: 2, userId: bob })
          expect(bobs).toEqual(everything.filter((id) => [ids[1], ids[3], ids[5], ids[7]].includes(id)))
          expect(yield* walk({ ...window, limit: 2, status: "canceled" })).toEqual([ids[1]])
          expect(yield* walk({ ...window, limit: 2, status: "canceled", userId: alice })).toEqual([])
          // createdFrom inclusive, createdBefore exclusive
          expect(yield* walk({ limit: 10, createdFrom: from + 20, createdBefore: from + 40 })).toEqual([ids[3], ids[2]])
          expect(yield* walk({ limit: 10, createdFrom: from + 20, createdBefore: from + 20 })).toEqual([])
          expect((yield* store.payouts({ ...window, limit: 8 })).nextCursor).toBeNull()
          expect((yield* store.payouts({ ...window, limit: 7 })).nextCursor).not.toBeNull()
        }))

      test("users: by userId with their accounts, filtered by status and currency, paged", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const make = (status: UserStatus, currency: Currency) =>
            Effect.gen(function* () {
              const userId = freshUser("lst")
              yield* store.createUser({ userId, name: "L", email: null, currency: "USD", status })
              if (currency !== "USD") yield* store.credit({ userId, amount: minor(70), currency }, null)
              return userId
            })
          const a = yield* make("active", "INR")
          const b = yield* make("closed", "USD")
          const c = yield* make("active", "INR")
          const d = yield* make("suspended", "INR")
          const e = yield* make("active", "USD")
          const mine = new Set([a, b, c, d, e])
          const walk = (q: Omit<UserQuery, "cursor">) =>
            Effect.gen(function* () {
              const seen: Array<UserWithAccounts> = []
              let cursor: UserId | undefined
              for (let pages = 0; pages < 1_000; pages++) {
                const page = yield* store.users({ ...q, cursor })
                seen.push(...page.users)
                if (page.nextCursor === null) break
                cursor = page.nextCursor
              }
              const ids = seen.map((u) => u.user.userId)
              // every user once, in userId order
              expect(ids).toEqual([...new Set(ids)].sort())
              return { ids: ids.filter((id) => mine.has(id)), seen }
            })
          const sorted = (...ids: Array<UserId>) => [...ids].sort()
          expect((yield* walk({ limit: 2 })).ids).toEqual(sorted(a, b, c, d, e))
          expect((yield* walk({ limit: 100, status: "active" })).ids).toEqual(sorted(a, c, e))
          expect((yield* walk({ limit: 1, currency: "INR" })).ids).toEqual(sorted(a, c, d))
          expect((yield* walk({ limit: 2, currency: "INR", status: "active" })).ids).toEqual(sorted(a, c))
          expect((yield* walk({ limit: 2, currency: "INR", status: "closed" })).ids).toEqual([])
          const withAccounts = (yield* walk({ limit: 3, currency: "INR" })).seen.find((u) => u.user.userId === d)
          expect(withAccounts?.user.status).toBe("suspended")
          expect(withAccounts?.accounts.map((x) => [x.currency, x.available, x.held, x.paidOut]).sort()).toEqual([
            ["INR", 70, 0, 0],
            ["USD", 0, 0, 0]
          ])
        }))

      test(
        "concurrent reserves never overdraw; racing settle/release move money once",
        () =>
          Effect.gen(function* () {
            const store = yield* PayoutStore
            const userId = yield* fundedUser(1_000)
            const results = yield* Effect.forEach(
              Array.from({ length: 40 }, () => payout(userId, 100)),
              (p) => Effect.exit(store.reserve(p, null)),
              { concurrency: "unbounded" }
            )
            expect(results.filter(Exit.isSuccess)).toHaveLength(10)
            const t = yield* store.reserve(payout(userId, 0), null).pipe(Effect.option)
            expect(Option.isSome(t)).toBe(true)
            const page = yield* store.history(userId, { limit: 100, status: "initiated" })
            const first = page.transactions[0]
            if (!first) return expect.unreachable()
            const claims = yield* Effect.all(
              [0, 1, 2].map((i) => store.startProcessing(first.transactionId, 0, lease(`w${i}`))),
              { concurrency: "unbounded" }
            )
            const won = claims.filter((c) => c._tag === "Claimed")
            expect(won).toHaveLength(1)
            const winner = won[0]
            if (winner === undefined) return expect.unreachable()
            const ref = attemptOf(winner.transaction)
            const finishes = yield* Effect.all(
              [store.settle(ref), store.release(ref, "x"), store.settle(ref), store.settle({ ...ref, owner: "x" })],
              { concurrency: "unbounded" }
            )
            expect(finishes.filter((f) => f.moved)).toHaveLength(1)
            const b = yield* balances(userId)
            expect((b?.available ?? 0) + (b?.held ?? 0) + (b?.paidOut ?? 0)).toBe(1_000)
            yield* expectClean
          }),
        "concurrency"
      )

      test("cancel: initiated → canceled once, the hold back to available; a claimed or final payout is not cancelable", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const { transaction: t } = yield* store.reserve(payout(userId, 300), null)
          const canceled = yield* store.cancel(t.transactionId, userId)
          expect(canceled.moved).toBe(true)
          expect(canceled.transaction).toMatchObject({ _tag: "canceled", canceledBy: userId })
          expect(canceled.events.map((e) => [e.event.type, e.event.status, e.event.newBalance])).toEqual([
            ["PAYOUT_CANCELED", "canceled", 1_000]
          ])
          expect(yield* balances(userId)).toMatchObject({ available: 1_000, held: 0, paidOut: 0 })
          const again = yield* store.cancel(t.transactionId, userId)
          expect([again.moved, again.transaction._tag, again.events]).toEqual([false, "canceled", []])
          expect(yield* balances(userId)).toMatchObject({ available: 1_000, held: 0 })
          expect((yield* store.startProcessing(t.transactionId, 0, lease("w1")))._tag).toBe("Stale")
          const actions = (yield* store.audit(t.transactionId)).map((e) => e.action)
          expect(actions).toEqual(["PAYOUT_INITIATED", "PAYOUT_CANCELED"])

          const { transaction: u } = yield* store.reserve(payout(userId, 200), null)
          const claim = yield* store.startProcessing(u.transactionId, 0, lease("w1"))
          const refused = yield* Effect.flip(store.cancel(u.transactionId, userId))
          expect([refused._tag, refused._tag === "PayoutNotCancelable" && refused.status]).toEqual([
            "PayoutNotCancelable",
            "processing"
          ])
          if (claim._tag !== "Claimed") return yield* Effect.dieMessage("not claimed")
          yield* store.settle(attemptOf(claim.transaction))
          const final = yield* Effect.flip(store.cancel(u.transactionId, userId))
          expect(final._tag === "PayoutNotCancelable" && final.status).toBe("completed")
          expect((yield* Effect.flip(store.cancel(freshTxn(), userId)))._tag).toBe("TransactionNotFound")
          expect(yield* balances(userId)).toMatchObject({ available: 800, held: 0, paidOut: 200 })
          yield* expectClean
        }))

      test("cancel with an Idempotency-Key: the key is completed in the step, a taken-over ticket moves nothing", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const actor = { userId, role: "user" as const }
          const { transaction: t } = yield* store.reserve(payout(userId, 300), null)
          const claim = { scope: IdempotencyScope.cancel(actor), key: "c1", fingerprint: "f1" }
          const begun = yield* store.beginIdempotent(claim, 60_000)
          if (begun._tag !== "Started") return expect.unreachable()
          expect((yield* store.cancel(t.transactionId, userId, begun.ticket)).moved).toBe(true)
          expect(yield* store.beginIdempotent(claim, 60_000)).toEqual({
            _tag: "Replay",
            result: { _tag: "Cancel", transactionId: t.transactionId }
          })
          // the cancel scope is its own: the same key in the user's payout scope is another key
          const payoutKey = yield* store.beginIdempotent({ ...claim, scope: IdempotencyScope.payout(userId) }, 60_000)
          expect(payoutKey._tag).toBe("Started")
          // a key on a payout already canceled (without a key) is completed too
          const { transaction: u } = yield* store.reserve(payout(userId, 200), null)
          yield* store.cancel(u.transactionId, userId)
          const late = yield* store.beginIdempotent({ ...claim, key: "c2" }, 60_000)
          if (late._tag !== "Started") return expect.unreachable()
          expect((yield* store.cancel(u.transactionId, userId, late.ticket)).moved).toBe(false)
          expect((yield* store.beginIdempotent({ ...claim, key: "c2" }, 60_000))._tag).toBe("Replay")
          // a ticket taken over since it was checked: IdempotencyKeyInUse, the payout stays held
          const { transaction: v } = yield* store.reserve(payout(userId, 100), null)
          const dead = yield* store.beginIdempotent({ ...claim, key: "c3" }, 1_000)
          if (dead._tag !== "Started") return expect.unreachable()
          yield* advance(1_100)
          expect((yield* store.beginIdempotent({ ...claim, key: "c3" }, 60_000))._tag).toBe("Started")
          expect((yield* Effect.flip(store.cancel(v.transactionId, userId, dead.ticket)))._tag).toBe(
            "IdempotencyKeyInUse"
          )
          expect(yield* store.getTransaction(v.transactionId)).toMatchObject({ value: { _tag: "initiated" } })
          expect(yield* balances(userId)).toMatchObject({ available: 900, held: 100 })
        }))

      test("scheduled: held at once, not claimable nor recovered before its time; due then, claimed once, cancelable until", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const now = yield* Clock.currentTimeMillis
          const at = now + 60_000
          const reserved = yield* store.reserve({ ...payout(userId, 300), scheduledFor: at }, null)
          const t = reserved.transaction
          expect(t).toMatchObject({ _tag: "scheduled", scheduledFor: at, queuedAt: at, attempts: 0 })
          expect(reserved.events.map((e) => [e.event.type, e.event.status, e.event.newBalance])).toEqual([
            ["PAYOUT_SCHEDULED", "scheduled", 700]
          ])
          expect(yield* balances(userId)).toMatchObject({ available: 700, held: 300 })
          expect((yield* store.startProcessing(t.transactionId, 0, lease("w1")))._tag).toBe("Stale")
          const mine = (ps: ReadonlyArray<{ readonly transactionId: string }>) =>
            ps.filter((p) => p.transactionId === t.transactionId)
          expect(mine(yield* store.claimStuck(1_000, 1_000))).toEqual([])
          const history = yield* store.history(userId, { limit: 10, status: "scheduled" })
          expect(history.transactions.map((x) => x.transactionId)).toEqual([t.transactionId])

          yield* advance(60_000)
          const due = (yield* store.claimStuck(1_000, 1_000)).filter((x) => x.transactionId === t.transactionId)
          // its time has come: an ordinary initiated payout, queued now
          expect(due.map((x) => x._tag)).toEqual(["initiated"])
          expect(Option.map(yield* store.getTransaction(t.transactionId), (x) => x._tag)).toEqual(
            Option.some("initiated")
          )
          // once queued, the idle rule as for any payout: not again at the next pass
          expect(mine(yield* store.claimStuck(1_000, 1_000))).toEqual([])
          const claim = yield* store.startProcessing(t.transactionId, 0, lease("w1"))
          expect(claim._tag === "Claimed" && [claim.first, claim.events.map((e) => e.event.type)]).toEqual([
            true,
            ["PAYOUT_PROCESSING"]
          ])
          expect((yield* store.startProcessing(t.transactionId, 0, lease("w2")))._tag).toBe("Busy")

          const later = yield* store.reserve({ ...payout(userId, 100), scheduledFor: now + 10 ** 9 }, null)
          const canceled = yield* store.cancel(later.transaction.transactionId, userId)
          expect([canceled.moved, canceled.transaction._tag]).toEqual([true, "canceled"])
          expect(yield* balances(userId)).toMatchObject({ available: 700, held: 300 })
          yield* expectClean
        }))

      test("return: completed → returned once, paid out back to available; nothing else is returnable", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const { transaction: t } = yield* store.reserve(payout(userId, 300), null)
          const early = yield* Effect.flip(store.recordReturn(t.transactionId, "bank said no", userId))
          expect(early._tag === "PayoutNotReturnable" && early.status).toBe("initiated")
          const claim = yield* store.startProcessing(t.transactionId, 0, lease("w1"))
          if (claim._tag !== "Claimed") return yield* Effect.dieMessage("not claimed")
          yield* store.settle(attemptOf(claim.transaction))
          expect(yield* balances(userId)).toMatchObject({ available: 700, held: 0, paidOut: 300 })

          const returned = yield* store.recordReturn(t.transactionId, "account closed at the bank", userId)
          expect(returned.moved).toBe(true)
          expect(returned.transaction).toMatchObject({ _tag: "returned", returnReason: "account closed at the bank" })
          expect(returned.events.map((e) => [e.event.type, e.event.status, e.event.newBalance, e.event.error])).toEqual(
            [["PAYOUT_RETURNED", "returned", 1_000, "account closed at the bank"]]
          )
          expect(yield* balances(userId)).toMatchObject({ available: 1_000, held: 0, paidOut: 0 })
          const again = yield* store.recordReturn(t.transactionId, "again", userId)
          expect([again.moved, again.events]).toEqual([false, []])
          expect(yield* balances(userId)).toMatchObject({ available: 1_000, paidOut: 0 })
          expect((yield* store.audit(t.transactionId)).map((e) => e.action).at(-1)).toBe("PAYOUT_RETURNED")
          expect((yield* Effect.flip(store.recordReturn(freshTxn(), "x", userId)))._tag).toBe("TransactionNotFound")
          yield* expectClean
        }))

      test("cancel racing a worker's claim: exactly one of them wins, the money moves once", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(10_000)
          let canceledWins = 0
          for (let i = 0; i < 10; i++) {
            const { transaction: t } = yield* store.reserve(payout(userId, 100), null)
            const cancelIt = Effect.either(store.cancel(t.transactionId, userId))
            const claimIt = store.startProcessing(t.transactionId, 0, lease("w"))
            // either one starts first: both orders are raced
            const [cancel, claim] =
              i % 2 === 0
                ? yield* Effect.all([cancelIt, claimIt], { concurrency: "unbounded" })
                : yield* Effect.map(
                    Effect.all([claimIt, cancelIt], { concurrency: "unbounded" }),
                    ([b, a]) => [a, b] as const
                  )
            const canceled = cancel._tag === "Right" && cancel.right.moved
            expect(canceled).toBe(claim._tag !== "Claimed")
            if (canceled) canceledWins++
            const now = Option.getOrThrow(yield* store.getTransaction(t.transactionId))
            expect(now._tag).toBe(canceled ? "canceled" : "processing")
          }
          console.log(`cancel vs claim: cancel won ${canceledWins} of 10`)
          const b = yield* balances(userId)
          expect((b?.available ?? 0) + (b?.held ?? 0)).toBe(10_000)
          yield* expectClean
        }))

      test("batch, atomic: every item held in one step, recorded with the batch; a repeat writes nothing", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const a = yield* fundedUser(1_000)
          const b = yield* fundedUser(500)
          const batch = batchOf(true, [
            [a, 400],
            [b, 500],
            [a, 600]
          ])
          const done = yield* store.reserveBatch(batch, null)
          expect(done.batch).toMatchObject({ batchId: batch.batchId, createdBy: a, atomic: true })
          expect(done.batch.items.map((i) => [i.index, i._tag, i.userId])).toEqual([
            [0, "accepted", a],
            [1, "accepted", b],
            [2, "accepted", a]
          ])
          expect(done.transactions.map((t) => [t._tag, t.amount, t.currency])).toEqual([
            ["initiated", 400, "USD"],
            ["initiated", 500, "USD"],
            ["initiated", 600, "USD"]
          ])
          expect(done.events.map((e) => e.event.type)).toEqual([
            "PAYOUT_INITIATED",
            "PAYOUT_INITIATED",
            "PAYOUT_INITIATED"
          ])
          expect(yield* balances(a)).toMatchObject({ available: 0, held: 1_000 })
          expect(yield* balances(b)).toMatchObject({ available: 0, held: 500 })
          const first = done.transactions[0]
          if (first === undefined) return expect.unreachable()
          expect((yield* store.audit(first.transactionId)).map((e) => [e.action, e.details.batchId])).toEqual([
            ["PAYOUT_INITIATED", batch.batchId]
          ])
          const again = yield* store.reserveBatch(batch, null)
          expect([again.batch, again.events]).toEqual([done.batch, []])
          expect(yield* balances(a)).toMatchObject({ available: 0, held: 1_000 })
          const found = yield* store.getBatch(batch.batchId)
          expect(Option.map(found, (f) => f.transactions.map((t) => t.transactionId))).toEqual(
            Option.some(done.transactions.map((t) => t.transactionId))
          )
          expect(Option.isNone(yield* store.getBatch(freshBatch()))).toBe(true)
          yield* expectClean
        }))

      test("batch, atomic: one item that cannot be paid refuses the batch with every reason; nothing moves", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const a = yield* fundedUser(1_000)
          const off = yield* fundedUser(1_000)
          yield* store.setUserStatus(off, "suspended")
          const ghost = freshUser()
          const batch = batchOf(true, [
            [a, 600],
            [a, 500],
            [off, 1],
            [ghost, 1],
            [a, 400]
          ])
          const refused = yield* Effect.flip(store.reserveBatch(batch, null))
          if (refused._tag !== "BatchRejected") return expect.unreachable()
          // the balance is summed over the batch in order: 600 fits, 500 does not, 400 does again
          expect(refused.items.map((i) => [i.index, i.code])).toEqual([
            [1, "INSUFFICIENT_BALANCE"],
            [2, "USER_NOT_ACTIVE"],
            [3, "USER_NOT_FOUND"]
          ])
          expect(yield* balances(a)).toMatchObject({ available: 1_000, held: 0 })
          expect((yield* store.history(a, { limit: 10 })).transactions).toEqual([])
          expect(Option.isNone(yield* store.getBatch(batch.batchId))).toBe(true)
          yield* expectClean
        }))

      test("batch, not atomic: each item on its own, the refused ones kept with their reason; none accepted is refused", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const a = yield* fundedUser(1_000)
          const batch = batchOf(false, [
            [a, 600],
            [a, 600],
            [a, 300]
          ])
          const done = yield* store.reserveBatch(batch, null)
          expect(done.batch.items.map((i) => [i.index, i._tag, i._tag === "rejected" ? i.code : ""])).toEqual([
            [0, "accepted", ""],
            [1, "rejected", "INSUFFICIENT_BALANCE"],
            [2, "accepted", ""]
          ])
          expect(done.transactions.map((t) => t.amount)).toEqual([600, 300])
          expect(yield* balances(a)).toMatchObject({ available: 100, held: 900 })
          expect((yield* store.reserveBatch(batch, null)).events).toEqual([])
          expect(yield* balances(a)).toMatchObject({ available: 100, held: 900 })
          const none = yield* Effect.flip(store.reserveBatch(batchOf(false, [[a, 101]]), null))
          expect(none._tag === "BatchRejected" && none.items.map((i) => i.code)).toEqual(["INSUFFICIENT_BALANCE"])
          yield* expectClean
        }))

      test("batch with an idempotency ticket remembers its batch; a lapsed ticket writes nothing", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const a = yield* fundedUser(1_000)
          const claim = { scope: IdempotencyScope.batch(a), key: "b1", fingerprint: "f" }
          const begun = yield* store.beginIdempotent(claim, 60_000)
          if (begun._tag !== "Started") return expect.unreachable()
          const batch = batchOf(true, [[a, 100]])
          yield* store.reserveBatch(batch, begun.ticket)
          expect(yield* store.beginIdempotent(claim, 60_000)).toEqual({
            _tag: "Replay",
            result: { _tag: "Batch", batchId: batch.batchId }
          })
          const late = yield* Effect.flip(store.reserveBatch(batchOf(true, [[a, 100]]), begun.ticket))
          expect(late._tag).toBe("IdempotencyKeyInUse")
          expect(yield* balances(a)).toMatchObject({ available: 900, held: 100 })
        }))

      test(
        "two atomic batches racing for one balance: never an overdraft",
        () =>
          Effect.gen(function* () {
            const store = yield* PayoutStore
            const a = yield* fundedUser(1_000)
            const racing = yield* Effect.all(
              [0, 1, 2, 3].map(() =>
                Effect.exit(
                  store.reserveBatch(
                    batchOf(true, [
                      [a, 300],
                      [a, 300]
                    ]),
                    null
                  )
                )
              ),
              { concurrency: "unbounded" }
            )
            const b = yield* balances(a)
            expect(b?.available).toBeGreaterThanOrEqual(0)
            expect((b?.available ?? 0) + (b?.held ?? 0)).toBe(1_000)
            if (skipReason("rollback") === undefined) {
              // all or nothing even under the race: one whole batch, the others refused
              expect(racing.filter(Exit.isSuccess)).toHaveLength(1)
              expect(b).toMatchObject({ available: 400, held: 600 })
            }
            yield* expectClean
          }),
        "concurrency"
      )

      test(
        "duplicate user ids are rejected even when racing",
        () =>
          Effect.gen(function* () {
            const store = yield* PayoutStore
            const userId = freshUser()
            const racing = yield* Effect.all(
              [0, 1, 2, 3].map(() =>
                Effect.exit(store.createUser({ userId, name: "R", email: null, currency: "USD", status: "active" }))
              ),
              { concurrency: "unbounded" }
            )
            expect(racing.filter(Exit.isSuccess)).toHaveLength(1)
          }),
        "uniqueness"
      )
    })
  })
}
