import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Random, TestClock } from "effect"
import { minor, type TransactionId, type UserId } from "../../src/domain/index.js"
import { EventBus } from "../../src/ports/EventBus.js"
import { PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { PayoutSettlement } from "../../src/programs/PayoutSettlement.js"
import { createUser, driveUntilFinal, infra, settings, testLayer, usd } from "./harness.js"

const submit = (userId: UserId, amount: number | string, idempotencyKey: string | null = null, extra = {}) =>
  Effect.flatMap(PayoutIntake, (intake) =>
    intake.submit({ actor: { userId, role: "user" }, body: { userId, amount, ...extra }, idempotencyKey })
  )

describe("PayoutIntake", () => {
  it.live(
    "1000 concurrent intakes racing on 3 users: no overdraw, exact conservation, reconcile clean",
    () =>
      Effect.gen(function* () {
        const funded = 50_000
        const users = yield* Effect.all([createUser(funded), createUser(funded), createUser(funded)])
        const requests = yield* Effect.forEach(Array.from({ length: 1000 }), (_, i) =>
          Effect.map(Random.nextIntBetween(1, 500), (cents) => ({ userId: users[i % 3] as UserId, cents }))
        )
        const exits = yield* Effect.forEach(
          requests,
          ({ userId, cents }) => Effect.exit(submit(userId, (cents / 100).toFixed(2))),
          { concurrency: "unbounded" }
        )
        const accepted = new Map<string, number>()
        exits.forEach((exit, i) => {
          const req = requests[i]
          if (Exit.isSuccess(exit) && req) accepted.set(req.userId, (accepted.get(req.userId) ?? 0) + req.cents)
          if (Exit.isFailure(exit)) {
            expect(["InsufficientBalance", "ConcurrentRequest"]).toContain(
              exit.cause._tag === "Fail" ? exit.cause.error._tag : exit.cause._tag
            )
          }
        })
        expect(exits.filter(Exit.isFailure).length).toBeGreaterThan(0) // demand exceeds the funds
        for (const userId of users) {
          const a = yield* usd(userId)
          expect(a.held).toBe(accepted.get(userId) ?? 0)
          expect(a.available).toBeGreaterThanOrEqual(0)
          expect(a.available + a.held + a.paidOut).toBe(funded)
        }
        const store = yield* PayoutStore
        expect(yield* store.reconcile).toMatchObject({ ok: true, differences: [] })
        const queued = yield* Effect.flatMap(PayoutQueue, (q) => q.stats)
        expect(queued.ready).toBe(exits.filter(Exit.isSuccess).length)
      }).pipe(Effect.provide(testLayer())),
    60_000
  )

  it.effect("one Idempotency-Key repeated, concurrently and in sequence, makes one payout", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const racing = yield* Effect.all(
        Array.from({ length: 20 }, () => Effect.exit(submit(userId, 25, "key-1"))),
        { concurrency: "unbounded" }
      )
      const ok = racing.filter(Exit.isSuccess).map((e) => e.value)
      const ids = new Set(ok.map((a) => a.transactionId))
      expect(ids.size).toBe(1)
      for (const e of racing.filter(Exit.isFailure)) {
        expect(e.cause._tag === "Fail" && e.cause.error._tag).toBe("IdempotencyKeyInUse")
      }
      const again = yield* Effect.forEach(Array.from({ length: 5 }), () => submit(userId, 25, "key-1"))
      expect(again.every((a) => a.replayed && ids.has(a.transactionId))).toBe(true)
      const reused = yield* Effect.flip(submit(userId, 26, "key-1"))
      expect(reused._tag).toBe("IdempotencyKeyReused")
      expect(yield* usd(userId)).toMatchObject({ available: 7_500, held: 2_500 })
      const other = yield* submit(userId, 25, "key-2")
      expect(ids.has(other.transactionId)).toBe(false)
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("a failed attempt gives its key back; validation and auth failures are not recorded", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(1_000)
      expect((yield* Effect.flip(submit(userId, 20, "k")))._tag).toBe("InsufficientBalance")
      const store = yield* PayoutStore
      yield* store.credit({ userId, amount: minor(5_000), currency: "USD" }, null)
      const ok = yield* submit(userId, 20, "k")
      expect(ok.replayed).toBe(false)
      expect((yield* Effect.flip(submit(userId, "1.001", "v")))._tag).toBe("ValidationError")
      expect((yield* submit(userId, 1, "v")).replayed).toBe(false)
    }).pipe(Effect.provide(testLayer()))
  )

  // the per-user rate limit comes first, at the HTTP edge: test/e2e/limits.test.ts
  it.effect("checks in API order: validation, ownership, user, funds", () =>
    Effect.gen(function* () {
      const intake = yield* PayoutIntake
      const alice = yield* createUser(1_000)
      const bob = yield* createUser(1_000)
      const as = (actor: UserId, body: unknown) =>
        Effect.flip(intake.submit({ actor: { userId: actor, role: "user" }, body, idempotencyKey: null }))
      expect((yield* as(alice, { userId: bob, amount: 1 }))._tag).toBe("Forbidden")
      expect((yield* as(alice, { userId: bob, amount: -1 }))._tag).toBe("ValidationError")
      expect((yield* as(alice, { userId: "ghost_user", amount: 1 }))._tag).toBe("Forbidden")
      const root = yield* createUser(0, "admin")
      const admin = yield* Effect.flip(
        intake.submit({
          actor: { userId: root, role: "admin" },
          body: { userId: "ghost_user", amount: 1 },
          idempotencyKey: null
        })
      )
      expect(admin._tag).toBe("UserNotFound")
      const store = yield* PayoutStore
      yield* store.setUserStatus(bob, "suspended")
      expect((yield* as(bob, { userId: bob, amount: 1 }))._tag).toBe("UserNotActive")
      expect((yield* usd(bob)).held).toBe(0)
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("accepted payouts settle through the queue with exact balances", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const queue = yield* PayoutQueue
      const settlement = yield* PayoutSettlement
      yield* Effect.forkScoped(queue.consume(settlement.handle, { concurrency: 4 }))
      const ids: Array<TransactionId> = []
      ids.push((yield* submit(userId, "10.50")).transactionId)
      ids.push((yield* submit(userId, 5, null, { metadata: { simulate: "fail" } })).transactionId)
      ids.push((yield* submit(userId, 1, null, { metadata: { simulate: "transient_fail" } })).transactionId)
      expect(yield* usd(userId)).toMatchObject({ available: 10_000 - 1_650, held: 1_650 })
      yield* driveUntilFinal(ids)
      const store = yield* PayoutStore
      const [a, b, c] = yield* Effect.forEach(ids, (id) => store.getTransaction(id))
      expect(a).toMatchObject({ value: { _tag: "completed", attempts: 1 } })
      expect(b).toMatchObject({ value: { _tag: "failed", failureReason: "Simulated permanent failure" } })
      expect(c).toMatchObject({ value: { _tag: "completed", attempts: 2 } })
      expect(yield* usd(userId)).toMatchObject({ available: 10_000 - 1_150, held: 0, paidOut: 1_150 })
      expect((yield* store.reconcile).ok).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(testLayer({ rail: { processingDelayMs: 500, failureRate: 0 } })))
  )
})

describe("PayoutIntake when its caller goes away", () => {
  /** An EventBus whose publish waits for the gate: the intake is caught between its reserve and its publish. */
  const gatedBus = (gate: Deferred.Deferred<void>, reached: Deferred.Deferred<void>) =>
    Layer.effect(
      EventBus,
      Effect.map(EventBus, (bus) =>
        EventBus.of({
          ...bus,
          publish: (event) =>
            Effect.zipRight(
              Effect.zipRight(Deferred.succeed(reached, undefined), Deferred.await(gate)),
              bus.publish(event)
            )
        })
      )
    )

  it.effect(
    "a reserved payout is announced and queued even when the request is interrupted right after the reserve",
    () =>
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>()
        const reached = yield* Deferred.make<void>()
        const layer = PayoutIntake.layer.pipe(
          Layer.provide(gatedBus(gate, reached)),
          Layer.provideMerge(infra()),
          Layer.provide(settings())
        )
        yield* Effect.gen(function* () {
          const userId = yield* createUser(10_000)
          const fiber = yield* Effect.fork(submit(userId, "1.00"))
          yield* Deferred.await(reached)
          const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
          yield* Deferred.succeed(gate, undefined)
          yield* Fiber.join(interrupting)
          const queue = yield* PayoutQueue
          expect((yield* queue.stats).ready).toBe(1)
          expect(yield* usd(userId)).toMatchObject({ available: 9_900, held: 100 })
        }).pipe(Effect.provide(layer))
      })
  )
})

describe("PayoutIntake with a broker that never confirms", () => {
  const hangingQueue = Layer.effect(
    PayoutQueue,
    Effect.map(PayoutQueue, (queue) => PayoutQueue.of({ ...queue, publish: () => Effect.never }))
  )

  it.effect(
    "a request interrupted while its publish hangs still ends at QUEUE_PUBLISH_TIMEOUT_MS, the payout left to Recovery",
    () =>
      Effect.gen(function* () {
        const layer = PayoutIntake.layer.pipe(
          Layer.provide(hangingQueue),
          Layer.provideMerge(infra()),
          Layer.provide(settings({ QUEUE_PUBLISH_TIMEOUT_MS: "1000" }))
        )
        yield* Effect.gen(function* () {
          const userId = yield* createUser(10_000)
          const fiber = yield* Effect.fork(submit(userId, "1.00"))
          yield* TestClock.adjust(10) // the request is now waiting for the broker
          const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
          yield* TestClock.adjust(1_000) // the publish timeout: the accept step ends, then the interruption
          yield* Fiber.join(interrupting)
          expect(yield* usd(userId)).toMatchObject({ available: 9_900, held: 100 })
          const page = yield* Effect.flatMap(PayoutStore, (store) => store.history(userId, { limit: 10 }))
          // marked unqueued ("queued at 0"): Recovery's next pass takes it
          expect(page.transactions.map((t) => (t._tag === "initiated" ? t.queuedAt : t._tag))).toEqual([0])
        }).pipe(Effect.provide(layer))
      })
  )
})
