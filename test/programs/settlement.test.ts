import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Metric, Option, Ref, TestClock } from "effect"
import { isOpen, type Metadata, type TransactionId, type UserId } from "../../src/domain/index.js"
import { EventLog } from "../../src/ports/EventLog.js"
import { MemoryRail } from "../../src/ports/memory/settlementRail.js"
import { PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { RailBook } from "../../src/ports/RailBook.js"
import { RailOutcomeUnknown, SettlementRail } from "../../src/ports/SettlementRail.js"
import { payoutsFinished } from "../../src/programs/metrics.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { PayoutSettlement } from "../../src/programs/PayoutSettlement.js"
import { Recovery } from "../../src/programs/Recovery.js"
import { Crash, crashablePorts } from "./crash.js"
import { createUser, infra, programs, settings, usd } from "./harness.js"

const IDLE_MS = 60_000

const layer = (env: Record<string, string> = {}) =>
  programs.pipe(
    Layer.provide(crashablePorts),
    Layer.provideMerge(Layer.merge(infra(), Crash.layer)),
    Layer.provide(settings({ RECOVERY_IDLE_MS: String(IDLE_MS), ...env }))
  )

const latestTransaction = (userId: UserId) =>
  Effect.flatMap(PayoutStore, (s) => s.history(userId, { limit: 1 })).pipe(
    Effect.map((page) => Option.fromNullable(page.transactions[0]?.transactionId))
  )

/** A user's own payout of 10.00, accepted. */
const payTen = (userId: UserId) =>
  Effect.flatMap(PayoutIntake, (intake) =>
    intake.submit({ actor: { userId, role: "user" }, body: { userId, amount: 10 }, idempotencyKey: null })
  )

/** Redelivery and Recovery, as the worker would do them, until the payout is final. */
const reDrive = (transactionId: TransactionId) =>
  Effect.gen(function* () {
    const store = yield* PayoutStore
    const queue = yield* PayoutQueue
    const settlement = yield* PayoutSettlement
    const recovery = yield* Recovery
    yield* Effect.forkScoped(queue.consume(settlement.handle, { concurrency: 2 }))
    for (let i = 0; i < 50; i++) {
      const t = yield* store.getTransaction(transactionId)
      if (Option.isSome(t) && !isOpen(t.value)) return t.value
      yield* TestClock.adjust(IDLE_MS + 1)
      yield* recovery.runOnce
    }
    return yield* Effect.dieMessage("payout never became final")
  })

/**
 * One payout, with a crash right after the n-th state-changing port call; then
 * the worker's redelivery and Recovery take over. Returns false once n is past
 * the last call (nothing left to crash).
 */
const crashAt = (n: number, metadata: Metadata, expected: "completed" | "failed") =>
  Effect.gen(function* () {
    const userId = yield* createUser(10_000)
    const crash = yield* Crash
    yield* crash.armAt(n)
    const intake = yield* PayoutIntake
    const settlement = yield* PayoutSettlement
    const accepted = yield* Effect.exit(
      intake.submit({ actor: { userId, role: "user" }, body: { userId, amount: 10, metadata }, idempotencyKey: null })
    )
    const id = Exit.isSuccess(accepted) ? Option.some(accepted.value.transactionId) : yield* latestTransaction(userId)
    if (Option.isNone(id)) {
      expect(yield* usd(userId)).toMatchObject({ available: 10_000, held: 0 })
      return true
    }
    const first = yield* Effect.exit(settlement.handle({ transactionId: id.value, userId, expectedAttempts: 0 }))
    const crashed = Exit.isInterrupted(accepted) || Exit.isInterrupted(first)
    const final = yield* reDrive(id.value)
    expect(final._tag).toBe(expected)

    const store = yield* PayoutStore
    const endings = (yield* store.audit(id.value)).filter(
      (e) => e.action === "PAYOUT_COMPLETED" || e.action === "PAYOUT_FAILED"
    )
    expect(endings).toHaveLength(1)
    const paid = expected === "completed" ? 1_000 : 0
    expect(yield* usd(userId)).toMatchObject({ available: 10_000 - paid, held: 0, paidOut: paid, funded: 10_000 })
    expect(yield* store.reconcile).toMatchObject({ ok: true })
    const receipts = yield* Effect.flatMap(MemoryRail, (r) => r.receipts)
    expect(receipts.has(id.value)).toBe(expected === "completed")
    // the event log agrees with the balances: one event per transition, whatever crashed, the last one's balance as written
    const logged = yield* Effect.flatMap(EventLog, (log) => log.read({ userId, after: 0, limit: 100 }))
    const ending = expected === "completed" ? "PAYOUT_COMPLETED" : "PAYOUT_FAILED"
    expect(logged.map((e) => [e.sequence, e.event.type, e.event.transactionId])).toEqual([
      [1, "PAYOUT_INITIATED", id.value],
      [2, "PAYOUT_PROCESSING", id.value],
      [3, ending, id.value]
    ])
    expect(logged[2]?.event.newBalance).toBe((yield* usd(userId)).available)
    return crashed
  }).pipe(Effect.scoped)

const everyStep = (metadata: Metadata, expected: "completed" | "failed") =>
  Effect.gen(function* () {
    let n = 1
    while (yield* crashAt(n, metadata, expected)) n++
    console.log(`crash points exercised for ${JSON.stringify(metadata)}: ${n - 1}`)
    expect(n).toBeGreaterThan(4)
  })

describe("PayoutSettlement under crashes", () => {
  it.effect("a payout crashed after any step ends completed exactly once", () =>
    everyStep({}, "completed").pipe(Effect.provide(layer()))
  )
  it.effect("a transiently failing payout crashed after any step ends completed exactly once", () =>
    everyStep({ simulate: "transient_fail" }, "completed").pipe(Effect.provide(layer()))
  )
  it.effect("a permanently failing payout crashed after any step ends failed exactly once, money back", () =>
    everyStep({ simulate: "fail" }, "failed").pipe(Effect.provide(layer()))
  )
})

describe("PayoutSettlement rail failures", () => {
  const run = (metadata: Metadata) =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const intake = yield* PayoutIntake
      const a = yield* intake.submit({
        actor: { userId, role: "user" },
        body: { userId, amount: 10, metadata },
        idempotencyKey: null
      })
      return { userId, t: yield* reDrive(a.transactionId) }
    }).pipe(Effect.scoped)

  it.effect("permanent → released", () =>
    Effect.gen(function* () {
      const { userId, t } = yield* run({ simulate: "fail" })
      expect(t).toMatchObject({ _tag: "failed", attempts: 1 })
      expect(yield* usd(userId)).toMatchObject({ available: 10_000, held: 0, paidOut: 0 })
    }).pipe(Effect.provide(layer()))
  )
  it.effect("transient → retried through the delay queue → completed", () =>
    Effect.gen(function* () {
      const { userId, t } = yield* run({ simulate: "transient_fail" })
      expect(t).toMatchObject({ _tag: "completed", attempts: 2 })
      expect(yield* usd(userId)).toMatchObject({ available: 9_000, held: 0, paidOut: 1_000 })
      const audit = yield* Effect.flatMap(PayoutStore, (s) => s.audit(t.transactionId))
      expect(audit.map((e) => e.action)).toEqual([
        "PAYOUT_INITIATED",
        "PAYOUT_PROCESSING",
        "PAYOUT_PROCESSING",
        "PAYOUT_COMPLETED"
      ])
    }).pipe(Effect.provide(layer()))
  )
  it.effect("transient with retries exhausted → released", () =>
    Effect.gen(function* () {
      const { userId, t } = yield* run({ simulate: "transient_fail" })
      expect(t).toMatchObject({ _tag: "failed", attempts: 1 })
      expect(t._tag === "failed" && t.failureReason).toMatch(/retries exhausted/)
      expect(yield* usd(userId)).toMatchObject({ available: 10_000, held: 0 })
    }).pipe(Effect.provide(layer({ MAX_RETRY_ATTEMPTS: "1" })))
  )
})

describe("PayoutSettlement takeover", () => {
  const RAIL_MS = 1_000
  const slowRail = programs.pipe(
    Layer.provideMerge(infra({ processingDelayMs: RAIL_MS, failureRate: 0 })),
    Layer.provide(settings({ RECOVERY_IDLE_MS: String(IDLE_MS) }))
  )

  const statusOf = (id: TransactionId) =>
    Effect.flatMap(PayoutStore, (s) => s.getTransaction(id)).pipe(Effect.map(Option.map((t) => t._tag)))

  const until = (id: TransactionId, status: string) =>
    Effect.gen(function* () {
      for (let i = 0; i < 1_000; i++) {
        if (Option.contains(yield* statusOf(id), status)) return
        yield* Effect.yieldNow()
      }
      return yield* Effect.dieMessage(`${id} never became ${status}`)
    })

  it.scoped("a consumer stopped mid-settlement: the next one takes the payout over at once, without Recovery", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const queue = yield* PayoutQueue
      const settlement = yield* PayoutSettlement
      const accepted = yield* payTen(userId)
      const id = accepted.transactionId
      const first = yield* Effect.forkScoped(queue.consume(settlement.handle, { concurrency: 1 }))
      yield* until(id, "processing")
      yield* Fiber.interrupt(first)
      expect(Option.getOrNull(yield* statusOf(id))).toBe("processing")

      yield* Effect.forkScoped(queue.consume(settlement.handle, { concurrency: 1 }))
      // one rail call's time, in steps (the next consumer claims, then sleeps on the rail)
      for (let i = 0; i < 20 && !Option.contains(yield* statusOf(id), "completed"); i++) {
        yield* TestClock.adjust(RAIL_MS / 10)
        yield* Effect.yieldNow()
      }
      yield* until(id, "completed")
      const store = yield* PayoutStore
      const actions = (yield* store.audit(id)).map((e) => e.action)
      expect(actions).toEqual(["PAYOUT_INITIATED", "PAYOUT_PROCESSING", "PAYOUT_PROCESSING", "PAYOUT_COMPLETED"])
      expect(yield* usd(userId)).toMatchObject({ available: 9_000, held: 0, paidOut: 1_000 })
      expect(yield* store.reconcile).toMatchObject({ ok: true })
    }).pipe(Effect.provide(slowRail))
  )
})

describe("PayoutSettlement with two live attempts", () => {
  const slowRail = programs.pipe(
    Layer.provideMerge(infra({ processingDelayMs: 1_000, failureRate: 0 })),
    Layer.provide(settings())
  )

  it.effect("a late attempt that finds the payout done moves nothing and is not counted again", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const settlement = yield* PayoutSettlement
      const completed = Metric.tagged(payoutsFinished, "status", "completed")
      const before = (yield* Metric.value(completed)).count
      const { transactionId } = yield* payTen(userId)
      // the first attempt is on the rail when a re-drive claims the second
      const first = yield* Effect.fork(settlement.handle({ transactionId, userId, expectedAttempts: 0 }))
      yield* TestClock.adjust(1)
      const second = yield* Effect.fork(settlement.handle({ transactionId, userId, expectedAttempts: 1 }))
      yield* TestClock.adjust(1_000)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      const store = yield* PayoutStore
      const endings = (yield* store.audit(transactionId)).filter((e) => e.action === "PAYOUT_COMPLETED")
      expect(endings).toHaveLength(1)
      expect((yield* Metric.value(completed)).count - before).toBe(1)
      expect(yield* usd(userId)).toMatchObject({ available: 9_000, held: 0, paidOut: 1_000 })
    }).pipe(Effect.provide(slowRail))
  )
})

describe("PayoutSettlement leases", () => {
  const LEASE_MS = 3_000
  const RAIL_MS = 10_000
  const slowerThanLease = programs.pipe(
    Layer.provideMerge(infra({ processingDelayMs: RAIL_MS, failureRate: 0 })),
    Layer.provide(settings({ SETTLEMENT_LEASE_MS: String(LEASE_MS), RECOVERY_IDLE_MS: "1000" }))
  )
  const railCalls = (id: TransactionId) =>
    Effect.flatMap(RailBook, (b) => b.statement).pipe(
      Effect.orDie,
      Effect.map((calls) => calls.filter((c) => c.transactionId === id))
    )

  it.scoped(
    "a rail slower than the lease: heartbeats keep it, so Recovery and duplicates never start a second call",
    () =>
      Effect.gen(function* () {
        const userId = yield* createUser(10_000)
        const settlement = yield* PayoutSettlement
        const recovery = yield* Recovery
        const queue = yield* PayoutQueue
        const store = yield* PayoutStore
        const { transactionId } = yield* payTen(userId)
        yield* Effect.forkScoped(queue.consume(settlement.handle, { concurrency: 4 }))
        // duplicates of the first message, one of them flagged as a redelivery
        yield* queue.publish({ transactionId, userId, expectedAttempts: 0 })
        const forged = yield* Effect.fork(
          settlement.handle({ transactionId, userId, expectedAttempts: 0 }, { redelivered: true })
        )
        for (let elapsed = 0; elapsed < RAIL_MS + 2_000; elapsed += 500) {
          yield* TestClock.adjust(500)
          yield* recovery.runOnce
        }
        yield* Fiber.join(forged)
        const t = yield* store.getTransaction(transactionId)
        expect(t).toMatchObject({ value: { _tag: "completed", attempts: 1 } })
        const calls = yield* railCalls(transactionId)
        expect(calls).toHaveLength(1)
        expect(calls[0]).toMatchObject({ fresh: true, outcome: "paid", idempotencyKey: transactionId })
        const processing = (yield* store.audit(transactionId)).filter((e) => e.action === "PAYOUT_PROCESSING")
        expect(processing).toHaveLength(1)
      }).pipe(Effect.provide(slowerThanLease))
  )

  it.scoped("an attempt whose worker died is taken over once its lease expires, and the rail answers it once", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const settlement = yield* PayoutSettlement
      const recovery = yield* Recovery
      const queue = yield* PayoutQueue
      const store = yield* PayoutStore
      const { transactionId } = yield* payTen(userId)
      // a worker that claims and then vanishes: no heartbeat, no release of its lease
      const claim = yield* store.startProcessing(transactionId, 0, { owner: "dead-worker", ms: LEASE_MS })
      expect(claim._tag).toBe("Claimed")
      yield* Effect.forkScoped(queue.consume(settlement.handle, { concurrency: 4 }))
      yield* TestClock.adjust(LEASE_MS - 1)
      expect(yield* recovery.runOnce).toBe(0)
      yield* TestClock.adjust(1)
      expect(yield* recovery.runOnce).toBe(1)
      for (let i = 0; i < 30; i++) yield* TestClock.adjust(500)
      expect(yield* store.getTransaction(transactionId)).toMatchObject({ value: { _tag: "completed", attempts: 2 } })
      expect(yield* railCalls(transactionId)).toHaveLength(1)
      expect(yield* usd(userId)).toMatchObject({ held: 0, paidOut: 1_000 })
    }).pipe(Effect.provide(slowerThanLease))
  )
})

describe("PayoutSettlement when the rail does not answer", () => {
  /** A rail that gives no answer for its first `silent` calls, then pays. */
  const silentRail = (silent: number) =>
    Layer.effect(
      SettlementRail,
      Effect.map(Ref.make(0), (calls) =>
        SettlementRail.of({
          pay: (r) =>
            Effect.flatMap(
              Ref.getAndUpdate(calls, (n) => n + 1),
              (n) =>
                n < silent
                  ? Effect.fail(new RailOutcomeUnknown({ reason: "timeout" }))
                  : Effect.succeed({ reference: `RAIL_${r.idempotencyKey}` })
            )
        })
      )
    )
  const layerWith = (silent: number) =>
    programs.pipe(
      Layer.provideMerge(Layer.mergeAll(infra(), silentRail(silent))),
      Layer.provide(settings({ MAX_RETRY_ATTEMPTS: "1", RETRY_DELAY_MS: "100" }))
    )

  it.scoped("an unknown outcome never releases the hold, even past the retries: it asks again until it knows", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const queue = yield* PayoutQueue
      const settlement = yield* PayoutSettlement
      const store = yield* PayoutStore
      const { transactionId } = yield* payTen(userId)
      yield* Effect.forkScoped(queue.consume(settlement.handle, { concurrency: 1 }))
      for (let i = 0; i < 200; i++) {
        const t = yield* store.getTransaction(transactionId)
        if (Option.isSome(t) && !isOpen(t.value)) break
        yield* TestClock.adjust(1_000)
      }
      expect(yield* store.getTransaction(transactionId)).toMatchObject({ value: { _tag: "completed", attempts: 5 } })
      const actions = (yield* store.audit(transactionId)).map((e) => e.action)
      expect(actions).not.toContain("PAYOUT_FAILED")
      expect(yield* usd(userId)).toMatchObject({ held: 0, paidOut: 1_000 })
    }).pipe(Effect.provide(layerWith(4)))
  )
})
