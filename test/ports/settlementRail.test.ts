import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Fiber, Layer, TestClock } from "effect"
import { Minor, makeTransactionId, type TransactionId, UserId } from "../../src/domain/index.js"
import * as MemoryRailBook from "../../src/ports/memory/railBook.js"
import { layerConfig, MemoryRail, make } from "../../src/ports/memory/settlementRail.js"
import { RailBook } from "../../src/ports/RailBook.js"
import { SettlementRail } from "../../src/ports/SettlementRail.js"
import { railSettings } from "../../src/settings.js"
import { settlementRailContract } from "../contracts/settlementRail.js"
import { testClock } from "../contracts/time.js"
import { simulatedRail as layerWith } from "../memory.js"

settlementRailContract("memory", layerWith({ processingDelayMs: 500, failureRate: 0 }), {
  time: testClock,
  delayMs: 500,
  paidCount: Effect.flatMap(MemoryRail, (m) => m.paidCount)
})

const request = (transactionId: TransactionId, attempt = 1) => ({
  transactionId,
  idempotencyKey: transactionId,
  userId: UserId.make("rail-user"),
  amount: Minor.make(1),
  currency: "USD" as const,
  metadata: {},
  attempt
})

const payMany = (n: number) =>
  Effect.gen(function* () {
    const rail = yield* SettlementRail
    const fiber = yield* Effect.fork(
      Effect.forEach(
        Array.from({ length: n }),
        () =>
          Effect.flatMap(makeTransactionId, (transactionId) => rail.pay(request(transactionId)).pipe(Effect.either)),
        { concurrency: "unbounded" }
      )
    )
    yield* TestClock.adjust(10)
    return yield* Fiber.join(fiber)
  })

describe("SettlementRail memory", () => {
  it.effect("failureRate 1 declines every transfer for good", () =>
    Effect.gen(function* () {
      const results = yield* payMany(20)
      expect(results.every((r) => r._tag === "Left" && r.left._tag === "RailFailure" && !r.left.transient)).toBe(true)
      expect(yield* Effect.flatMap(MemoryRail, (m) => m.paidCount)).toBe(0)
    }).pipe(Effect.provide(layerWith({ processingDelayMs: 10, failureRate: 1 })))
  )

  it.effect("failureRate 0.5 declines some and pays the others", () =>
    Effect.gen(function* () {
      const results = yield* payMany(100)
      const paid = results.filter((r) => r._tag === "Right").length
      expect(paid).toBeGreaterThan(20)
      expect(paid).toBeLessThan(80)
      expect(yield* Effect.flatMap(MemoryRail, (m) => m.paidCount)).toBe(paid)
    }).pipe(Effect.provide(layerWith({ processingDelayMs: 10, failureRate: 0.5 })))
  )

  it.effect("a decline is final: asking again for the same payout never pays it", () =>
    Effect.gen(function* () {
      const rail = yield* SettlementRail
      const paidBefore = yield* Effect.flatMap(MemoryRail, (m) => m.paidCount)
      const transactionId = yield* makeTransactionId
      const ask = (attempt: number) => rail.pay(request(transactionId, attempt)).pipe(Effect.either)
      const answers = yield* Effect.fork(Effect.all([1, 2, 3, 4, 5, 6, 7, 8].map(ask), { concurrency: "unbounded" }))
      yield* TestClock.adjust(10)
      const results = yield* Fiber.join(answers)
      const first = results[0]
      expect(results.every((r) => r._tag === first?._tag)).toBe(true)
      const paid = (yield* Effect.flatMap(MemoryRail, (m) => m.paidCount)) - paidBefore
      expect(paid).toBe(first?._tag === "Right" ? 1 : 0)
    }).pipe(Effect.repeatN(20), Effect.provide(layerWith({ processingDelayMs: 10, failureRate: 0.5 })))
  )

  it.effect("layerConfig reads the delay and failure rate from Config (the environment)", () =>
    Effect.gen(function* () {
      const results = yield* payMany(5)
      expect(results.every((r) => r._tag === "Left")).toBe(true)
    }).pipe(
      Effect.provide(
        Layer.provide(
          layerConfig(railSettings).pipe(Layer.provide(MemoryRailBook.layer)),
          Layer.setConfigProvider(
            ConfigProvider.fromMap(
              new Map([
                ["PAYOUT_PROCESSING_DELAY_MS", "10"],
                ["PAYOUT_FAILURE_RATE", "1"]
              ])
            )
          )
        )
      )
    )
  )
})

describe("SettlementRail over one shared RailBook", () => {
  it.effect("two rail instances (two workers) pay a transaction once, whichever asks first", () =>
    Effect.gen(function* () {
      const [a, b] = yield* Effect.all([
        make({ processingDelayMs: 10, failureRate: 0 }),
        make({ processingDelayMs: 10, failureRate: 0 })
      ])
      const book = yield* RailBook
      const ids = yield* Effect.all(Array.from({ length: 20 }, () => makeTransactionId))
      const fiber = yield* Effect.fork(
        Effect.forEach(ids, (id) => Effect.all([a.pay(request(id, 1)), b.pay(request(id, 2))], { concurrency: 2 }), {
          concurrency: "unbounded"
        })
      )
      yield* TestClock.adjust(10)
      const answers = yield* Fiber.join(fiber)
      for (const [x, y] of answers) expect(x).toEqual(y)
      const calls = yield* book.statement
      expect(calls).toHaveLength(40)
      const paid = calls.filter((c) => c.fresh && c.outcome === "paid").map((c) => c.transactionId)
      expect([...paid].sort()).toEqual([...ids].sort())
      // a restarted worker (a third instance) is answered from the book without a transfer
      const c = yield* make({ processingDelayMs: 10, failureRate: 0 })
      expect(yield* c.pay(request(ids[0] ?? ("" as TransactionId), 3))).toEqual(answers[0]?.[0])
      expect((yield* book.statement).filter((x) => x.fresh && x.outcome === "paid")).toHaveLength(20)
    }).pipe(Effect.provide(MemoryRailBook.layer))
  )
})
