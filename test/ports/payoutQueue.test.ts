import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Deferred, Effect, Fiber, Layer, Ref, TestClock } from "effect"
import { makeTransactionId, UserId } from "../../src/domain/index.js"
import { layerConfig, layer as layerWith, MemoryQueue } from "../../src/ports/memory/payoutQueue.js"
import { PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { Settings } from "../../src/settings.js"
import { payoutQueueContract } from "../contracts/payoutQueue.js"
import { testClock } from "../contracts/time.js"

const options = { redeliveryDelayMs: 1_000, maxDeliveries: 3 }
const layer = layerWith(options)

payoutQueueContract("memory", layer, {
  time: testClock,
  ...options,
  injectRaw: (raw) => Effect.flatMap(MemoryQueue, (m) => m.injectRaw(raw))
})

describe("PayoutQueue memory", () => {
  it.scoped("dead letters keep the raw body, why it died and how often it was delivered", () =>
    Effect.gen(function* () {
      const queue = yield* PayoutQueue
      const memory = yield* MemoryQueue
      const transactionId = yield* makeTransactionId
      yield* memory.injectRaw("garbage")
      yield* queue.publish({ transactionId, userId: UserId.make("queue-user"), expectedAttempts: 2 })
      const fiber = yield* Effect.forkScoped(queue.consume(() => Effect.fail("nope"), { concurrency: 1 }))
      yield* TestClock.adjust(10_000)
      const letters = yield* memory.deadLetters
      expect(letters.map((l) => [l.raw, l.deliveries])).toEqual([
        ["garbage", 1],
        [{ transactionId, userId: "queue-user", expectedAttempts: 2 }, 3]
      ])
      expect(letters[0]?.reason).toMatch(/^undecodable/)
      expect(letters[1]?.reason).toContain("nope")
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(layer))
  )

  it.scoped("with a drain timeout, stopping the consumer lets in-flight handlers finish; the rest go back", () =>
    Effect.gen(function* () {
      const queue = yield* PayoutQueue
      const user = UserId.make("queue-user")
      const quick = yield* makeTransactionId
      const stuck = yield* makeTransactionId
      yield* queue.publish({ transactionId: quick, userId: user, expectedAttempts: 0 })
      yield* queue.publish({ transactionId: stuck, userId: user, expectedAttempts: 0 })
      const done = yield* Ref.make<ReadonlyArray<string>>([])
      const started = yield* Deferred.make<void>()
      const consumer = yield* Effect.forkScoped(
        queue.consume(
          (m) =>
            Deferred.succeed(started, undefined).pipe(
              Effect.zipRight(Effect.sleep(m.transactionId === quick ? 1_000 : 60_000)),
              Effect.zipRight(Ref.update(done, (ids) => [...ids, m.transactionId]))
            ),
          { concurrency: 2 }
        )
      )
      yield* Deferred.await(started)
      const stopping = yield* Effect.fork(Fiber.interrupt(consumer))
      yield* TestClock.adjust(5_000) // the quick one finishes inside the 5 s drain, the other is cut off
      yield* Fiber.join(stopping)
      expect(yield* Ref.get(done)).toEqual([quick])
      expect(yield* queue.stats).toEqual({ ready: 1, inFlight: 0, delayed: 0, dead: 0 })
    }).pipe(Effect.provide(layerWith({ ...options, drainTimeoutMs: 5_000 })))
  )

  it.effect("layerConfig reads its options from Config (RETRY_DELAY_MS)", () =>
    Effect.gen(function* () {
      const queue = yield* PayoutQueue
      expect(yield* queue.stats).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0 })
    }).pipe(
      Effect.provide(layerConfig({ redeliveryDelayMs: Settings.retryDelayMs, maxDeliveries: Config.succeed(3) })),
      Effect.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["RETRY_DELAY_MS", "50"]]))))
    )
  )
})
