import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { makeTransactionId, UserId } from "../../src/domain/index.js"
import { layerWith, MemoryQueue } from "../../src/ports/memory/queue.js"
import { PayoutQueue } from "../../src/ports/PayoutQueue.js"
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

  it.effect("layerMemory reads RETRY_DELAY_MS", () =>
    Effect.gen(function* () {
      const queue = yield* PayoutQueue
      expect(yield* queue.stats).toEqual({ ready: 0, inFlight: 0, delayed: 0, dead: 0 })
    }).pipe(Effect.provide(PayoutQueue.layerMemory))
  )
})
