import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Ref, TestClock } from "effect"
import { minor, type NewPayout, ServiceUnavailable, TransactionId, type UserId } from "../../src/domain/index.js"
import { PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { Recovery, RecoveryLoop } from "../../src/programs/Recovery.js"
import { createUser, infra, settings } from "./harness.js"

let n = 0
const newPayout = (userId: UserId): NewPayout => ({
  transactionId: TransactionId.make(`TXN_RECOVERY_${(n++).toString(16).toUpperCase().padStart(16, "0")}`),
  userId,
  amount: minor(100),
  currency: "USD",
  description: null,
  metadata: {}
})

/** The store, except that its first `claimStuck` dies (a document that does not decode, an unknown driver error). */
const firstClaimDies = Layer.effect(
  PayoutStore,
  Effect.gen(function* () {
    const store = yield* PayoutStore
    const died = yield* Ref.make(false)
    return {
      ...store,
      claimStuck: (idleMs, limit) =>
        Effect.flatMap(Ref.getAndSet(died, true), (already) =>
          already ? store.claimStuck(idleMs, limit) : Effect.dieMessage("corrupt document")
        )
    }
  })
)

const layer = RecoveryLoop.pipe(
  Layer.provide(Recovery.layer),
  Layer.provide(firstClaimDies),
  Layer.provideMerge(infra()),
  Layer.provide(settings({ RECOVERY_IDLE_MS: "1000", RECOVERY_INTERVAL_MS: "1000" }))
)

describe("RecoveryLoop", () => {
  it.effect("keeps re-driving stuck payouts after a pass that died", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const store = yield* PayoutStore
      const queue = yield* PayoutQueue
      // reserved, but the gateway crashed before publishing it
      const { transaction: t } = yield* store.reserve(newPayout(userId), null)
      expect((yield* queue.stats).ready).toBe(0)
      for (let i = 0; i < 5; i++) yield* TestClock.adjust(1_000)
      expect((yield* queue.stats).ready).toBeGreaterThan(0)
      const after = yield* store.getTransaction(t.transactionId)
      expect(after).toMatchObject({ value: { _tag: "initiated" } })
      expect(after._tag === "Some" && after.value._tag === "initiated" ? after.value.queuedAt : 0).toBeGreaterThan(
        t._tag === "initiated" ? t.queuedAt : Number.POSITIVE_INFINITY
      )
    }).pipe(Effect.provide(layer))
  )
})

/** A second worker's Recovery on the same store and queue: another instance of the program. */
class Other extends Context.Tag("test/OtherRecovery")<Other, Recovery["Type"]>() {}
const twoWorkers = Layer.mergeAll(Recovery.layer, Layer.effect(Other, Effect.provide(Recovery, Recovery.layer))).pipe(
  Layer.provideMerge(infra()),
  Layer.provide(settings({ RECOVERY_IDLE_MS: "60000" }))
)

describe("Recovery.runOnce", () => {
  it.effect("re-queues a stuck payout once per idle period in total, however many workers run it", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const store = yield* PayoutStore
      const [a, b] = [yield* Recovery, yield* Other]
      const queue = yield* PayoutQueue
      yield* store.reserve(newPayout(userId), null)
      expect(yield* a.runOnce).toBe(0)
      yield* TestClock.adjust(60_000)
      const first = yield* Effect.all([a.runOnce, b.runOnce, a.runOnce], { concurrency: "unbounded" })
      expect(first.reduce((x, y) => x + y, 0)).toBe(1)
      yield* TestClock.adjust(15_000)
      expect(yield* a.runOnce).toBe(0)
      expect(yield* b.runOnce).toBe(0)
      expect((yield* queue.stats).ready).toBe(1)
      yield* TestClock.adjust(45_000)
      expect((yield* b.runOnce) + (yield* a.runOnce)).toBe(1)
      expect((yield* queue.stats).ready).toBe(2)
    }).pipe(Effect.provide(twoWorkers))
  )

  it.effect("never re-queues a payout whose lease is alive, however long it has been processing", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const store = yield* PayoutStore
      const recovery = yield* Recovery
      const { transaction: t } = yield* store.reserve(newPayout(userId), null)
      const claim = yield* store.startProcessing(t.transactionId, 0, { owner: "live", ms: 30_000 })
      if (claim._tag !== "Claimed") return expect.unreachable()
      const ref = { transactionId: t.transactionId, attempt: 1, owner: "live" }
      for (let i = 0; i < 10; i++) {
        yield* TestClock.adjust(20_000)
        expect(yield* store.renewLease(ref, 30_000)).toBe(true)
        expect(yield* recovery.runOnce).toBe(0)
      }
      // the worker dies: once the lease runs out, the payout is re-queued
      yield* TestClock.adjust(30_000)
      expect(yield* recovery.runOnce).toBe(1)
    }).pipe(Effect.provide(twoWorkers))
  )

  it.effect("a re-queue the broker refused is tried again on the next pass, not an idle period later", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const store = yield* PayoutStore
      const recovery = yield* Recovery
      const down = yield* Ref.make(true)
      const { transaction: t } = yield* store.reserve(newPayout(userId), null)
      yield* TestClock.adjust(60_000)
      const queue = yield* PayoutQueue
      const flaky = Recovery.layer.pipe(
        Layer.provide(
          Layer.succeed(PayoutQueue, {
            ...queue,
            publish: (m) =>
              Effect.flatMap(Ref.get(down), (isDown) =>
                isDown ? Effect.fail(new ServiceUnavailable({ dependency: "rabbitmq" })) : queue.publish(m)
              )
          })
        ),
        Layer.provide(Layer.succeed(PayoutStore, store)),
        Layer.provide(settings({ RECOVERY_IDLE_MS: "60000" }))
      )
      const during = yield* Effect.provide(
        Effect.flatMap(Recovery, (r) => r.runOnce),
        flaky
      )
      expect(during).toBe(0)
      yield* Ref.set(down, false)
      expect(
        yield* Effect.provide(
          Effect.flatMap(Recovery, (r) => r.runOnce),
          flaky
        )
      ).toBe(1)
      expect(yield* recovery.runOnce).toBe(0)
      expect((yield* queue.stats).ready).toBe(1)
      expect(t._tag).toBe("initiated")
    }).pipe(Effect.provide(twoWorkers))
  )
})
