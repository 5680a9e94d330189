/**
 * The simulated rail on its Redis books: two rail instances with their own Redis
 * connections stand for two worker processes; a third for a restarted worker.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Minor, makeTransactionId, UserId } from "../../src/domain/index.js"
import { RedisClient } from "../../src/infra/redis/client.js"
import * as RedisRailBook from "../../src/infra/redis/railBook.js"
import * as SimulatedRail from "../../src/ports/memory/settlementRail.js"
import { RailBook } from "../../src/ports/RailBook.js"
import { RailReturns } from "../../src/ports/RailReturns.js"
import { SettlementRail } from "../../src/ports/SettlementRail.js"
import { unique } from "../contracts/time.js"

const worker = (prefix: string, delayMs: number, failureRate = 0.3) =>
  Layer.build(
    SimulatedRail.layer({ processingDelayMs: delayMs, failureRate, returnDelayMs: 200 }).pipe(
      Layer.provideMerge(RedisRailBook.layer({ prefix, retentionMs: 60_000 })),
      Layer.provide(RedisClient.layer({ connectionName: "swiftpay-test-rail" }))
    )
  ).pipe(
    Effect.map((ctx) => ({
      rail: Context.get(ctx, SettlementRail),
      book: Context.get(ctx, RailBook),
      returns: Context.get(ctx, RailReturns)
    }))
  )

const dropKeys = (prefix: string) =>
  Effect.gen(function* () {
    const redis = yield* Layer.build(RedisClient.layer({})).pipe(Effect.map((ctx) => Context.get(ctx, RedisClient)))
    yield* Effect.promise(async () => {
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length > 0) await redis.del(...keys)
    })
  })

describe("Simulated rail on Redis books", () => {
  it.scopedLive("two workers asking for the same payouts at once: one decision and one transfer each", () =>
    Effect.gen(function* () {
      const prefix = `${unique("railtest")}:`
      const [a, b] = yield* Effect.all([worker(prefix, 30), worker(prefix, 30)])
      const ids = yield* Effect.all(Array.from({ length: 30 }, () => makeTransactionId))
      const request = (transactionId: (typeof ids)[number], attempt: number) => ({
        transactionId,
        idempotencyKey: transactionId,
        userId: UserId.make("rail-user"),
        amount: Minor.make(100),
        currency: "USD" as const,
        metadata: {},
        attempt
      })
      const answers = yield* Effect.forEach(
        ids,
        (id) =>
          Effect.all([a.rail.pay(request(id, 1)), b.rail.pay(request(id, 2))].map(Effect.either), {
            concurrency: 2
          }),
        { concurrency: "unbounded" }
      )
      for (const [x, y] of answers) expect(x).toEqual(y)
      const calls = yield* a.book.statement
      expect(calls).toHaveLength(60)
      const decided = calls.filter((c) => c.fresh)
      expect(new Set(decided.map((c) => c.transactionId)).size).toBe(30)
      expect(decided).toHaveLength(30)
      // a restarted worker is answered from the books: no new transfer, the same answer
      const c = yield* worker(prefix, 30)
      const again = yield* Effect.forEach(ids, (id) => Effect.either(c.rail.pay(request(id, 3))))
      expect(again).toEqual(answers.map(([x]) => x))
      const after = yield* c.book.statement
      expect(after.filter((x) => x.fresh)).toHaveLength(30)
      const redis = yield* Layer.build(RedisClient.layer({})).pipe(Effect.map((ctx) => Context.get(ctx, RedisClient)))
      yield* Effect.promise(async () => {
        const keys = await redis.keys(`${prefix}*`)
        if (keys.length > 0) await redis.del(...keys)
      })
    })
  )

  it.scopedLive(
    'simulate: "return": the return is in Redis, due after the delay, kept until acknowledged, for any worker',
    () =>
      Effect.gen(function* () {
        const prefix = `${unique("railreturns")}:`
        const a = yield* worker(prefix, 10, 0)
        const [id, plain] = yield* Effect.all([makeTransactionId, makeTransactionId])
        const request = (transactionId: typeof id, simulate: string | undefined) => ({
          transactionId,
          idempotencyKey: transactionId,
          userId: UserId.make("rail-user"),
          amount: Minor.make(100),
          currency: "USD" as const,
          metadata: simulate === undefined ? {} : { simulate },
          attempt: 1
        })
        yield* a.rail.pay(request(id, "return"))
        yield* a.rail.pay(request(plain, undefined))
        expect(yield* a.returns.due(10)).toEqual([])
        const [scheduled] = yield* a.book.dueReturns(Number.MAX_SAFE_INTEGER, 10)
        // a repeated call (same key, answered from the books) keeps the first due time
        yield* Effect.sleep("20 millis")
        yield* a.rail.pay(request(id, "return"))
        expect(yield* a.book.dueReturns(Number.MAX_SAFE_INTEGER, 10)).toEqual([scheduled])
        yield* Effect.sleep("250 millis")
        // another worker (a restarted one) sees it
        const b = yield* worker(prefix, 10, 0)
        const due = yield* b.returns.due(10)
        expect(due).toEqual([{ transactionId: id, reason: "Simulated bank return", returnedAt: scheduled?.dueAt }])
        yield* b.returns.acknowledge(id)
        expect(yield* a.returns.due(10)).toEqual([])
        yield* dropKeys(prefix)
      })
  )
})
