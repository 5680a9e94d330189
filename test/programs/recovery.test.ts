import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Ref, TestClock } from "effect"
import { minor, TransactionId } from "../../src/domain/index.js"
import { PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { Recovery } from "../../src/programs/Recovery.js"
import { createUser, infra, settings } from "./harness.js"

/** The store, except that its first `stuck` query dies (a document that does not decode, an unknown driver error). */
const firstStuckDies = Layer.effect(
  PayoutStore,
  Effect.gen(function* () {
    const store = yield* PayoutStore
    const died = yield* Ref.make(false)
    return {
      ...store,
      stuck: (idleMs, limit) =>
        Effect.flatMap(Ref.getAndSet(died, true), (already) =>
          already ? store.stuck(idleMs, limit) : Effect.dieMessage("corrupt document")
        )
    }
  })
)

const layer = Recovery.loop.pipe(
  Layer.provide(Recovery.layer),
  Layer.provide(firstStuckDies),
  Layer.provideMerge(infra()),
  Layer.provide(settings({ RECOVERY_IDLE_MS: "1000", RECOVERY_INTERVAL_MS: "1000" }))
)

describe("Recovery.loop", () => {
  it.effect("keeps re-driving stuck payouts after a pass that died", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const store = yield* PayoutStore
      // reserved, but the gateway crashed before publishing it
      const t = yield* store.reserve(
        {
          transactionId: TransactionId.make("TXN_RECOVERY_00000000000000AA"),
          userId,
          amount: minor(100),
          currency: "USD",
          description: null,
          metadata: {}
        },
        null
      )
      for (let i = 0; i < 5; i++) yield* TestClock.adjust(1_000)
      const queue = yield* PayoutQueue
      expect((yield* queue.stats).ready).toBeGreaterThan(0)
      expect(t._tag).toBe("initiated")
    }).pipe(Effect.provide(layer))
  )
})

describe("Recovery.runOnce", () => {
  const plain = Recovery.layer.pipe(Layer.provideMerge(infra()), Layer.provide(settings({ RECOVERY_IDLE_MS: "60000" })))

  it.effect("re-queues a stuck payout once per idle period, not on every pass", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const store = yield* PayoutStore
      const recovery = yield* Recovery
      const queue = yield* PayoutQueue
      yield* store.reserve(
        {
          transactionId: TransactionId.make("TXN_RECOVERY_00000000000000BB"),
          userId,
          amount: minor(100),
          currency: "USD",
          description: null,
          metadata: {}
        },
        null
      )
      expect(yield* recovery.runOnce).toBe(0)
      yield* TestClock.adjust(60_000)
      expect(yield* recovery.runOnce).toBe(1)
      yield* TestClock.adjust(15_000)
      expect(yield* recovery.runOnce).toBe(0)
      expect(yield* recovery.runOnce).toBe(0)
      expect((yield* queue.stats).ready).toBe(1)
      yield* TestClock.adjust(45_000)
      expect(yield* recovery.runOnce).toBe(1)
      expect((yield* queue.stats).ready).toBe(2)
    }).pipe(Effect.provide(plain))
  )
})
