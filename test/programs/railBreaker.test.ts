import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import type { TransactionId, UserId } from "../../src/domain/index.js"
import { PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { RailFailure, SettlementRail } from "../../src/ports/SettlementRail.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { PayoutSettlement } from "../../src/programs/PayoutSettlement.js"
import { createUser, infra, programs, settings, usd } from "./harness.js"

/** A rail that refuses transiently while `down`, declines for good while `declines`, and counts its calls. */
const rail = { down: true, declines: false, calls: 0 }
const scriptedRail = Layer.succeed(SettlementRail, {
  pay: () =>
    Effect.suspend(() => {
      rail.calls++
      if (rail.down) return Effect.fail(new RailFailure({ transient: true, reason: "rail unavailable" }))
      if (rail.declines) return Effect.fail(new RailFailure({ transient: false, reason: "account closed" }))
      return Effect.succeed({ reference: `RAIL_${rail.calls}` })
    })
})

const COOLDOWN_MS = 10_000

const layer = programs.pipe(
  Layer.provide(scriptedRail),
  Layer.provideMerge(infra()),
  Layer.provide(
    settings({
      RAIL_BREAKER_THRESHOLD: "3",
      RAIL_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
      MAX_RETRY_ATTEMPTS: "100",
      RETRY_DELAY_MS: "100000"
    })
  )
)

const submit = (userId: UserId) =>
  Effect.flatMap(PayoutIntake, (intake) =>
    intake.submit({ actor: { userId, role: "user" }, body: { userId, amount: "1.00" }, idempotencyKey: null })
  )

/** What a worker does with the payout's queue message. */
const handle = (userId: UserId, transactionId: TransactionId, expectedAttempts = 0) =>
  Effect.flatMap(PayoutSettlement, (s) => s.handle({ transactionId, userId, expectedAttempts }))

const statusOf = (id: TransactionId) =>
  Effect.flatMap(PayoutStore, (s) => s.getTransaction(id)).pipe(Effect.map(Option.map((t) => [t._tag, t.attempts])))

describe("the rail's circuit breaker", () => {
  it.layer(layer)((it) => {
    it.effect(
      "opens after RAIL_BREAKER_THRESHOLD transient failures, leaves payouts unclaimed in the broker, then half-opens for one trial",
      () =>
        Effect.gen(function* () {
          const settlement = yield* PayoutSettlement
          const queue = yield* PayoutQueue
          const userId = yield* createUser(100_000, "breaker")
          const ids: Array<TransactionId> = []
          for (let i = 0; i < 6; i++) ids.push((yield* submit(userId)).transactionId)
          const [a, b, c, d, e, f] = ids as [
            TransactionId,
            TransactionId,
            TransactionId,
            TransactionId,
            TransactionId,
            TransactionId
          ]

          for (const id of [a, b, c]) yield* handle(userId, id)
          expect(rail.calls).toBe(3)
          expect(yield* settlement.railCircuit).toBe("open")
          const delayedBefore = (yield* queue.stats).delayed

          // open: the payout is not claimed (still initiated, no attempt), the rail not called, the message delayed
          yield* handle(userId, d)
          expect(rail.calls).toBe(3)
          expect(yield* statusOf(d)).toEqual(Option.some(["initiated", 0]))
          expect((yield* queue.stats).delayed).toBe(delayedBefore + 1)

          // after the cool-down, one trial: it fails, the breaker opens again
          yield* TestClock.adjust(COOLDOWN_MS)
          expect(yield* settlement.railCircuit).toBe("half-open")
          yield* handle(userId, d)
          expect(rail.calls).toBe(4)
          expect(yield* settlement.railCircuit).toBe("open")
          yield* handle(userId, e)
          expect(yield* statusOf(e)).toEqual(Option.some(["initiated", 0]))

          // the rail is back: the next trial succeeds and closes it
          rail.down = false
          yield* TestClock.adjust(COOLDOWN_MS)
          yield* handle(userId, e)
          expect(yield* statusOf(e)).toEqual(Option.some(["completed", 1]))
          expect(yield* settlement.railCircuit).toBe("closed")
          yield* handle(userId, f)
          expect(yield* statusOf(f)).toEqual(Option.some(["completed", 1]))
          // nothing failed because the breaker was open: the deferred ones are still there to settle
          expect(yield* statusOf(a)).toEqual(Option.some(["processing", 1]))
          expect(yield* usd(userId)).toMatchObject({ held: 400, paidOut: 200 })
        })
    )

    it.effect("a rail that declines (a final answer) does not open it", () =>
      Effect.gen(function* () {
        const settlement = yield* PayoutSettlement
        rail.down = false
        rail.declines = true
        yield* TestClock.adjust(COOLDOWN_MS * 2)
        const userId = yield* createUser(100_000, "breaker")
        const ids: Array<TransactionId> = []
        for (let i = 0; i < 5; i++) ids.push((yield* submit(userId)).transactionId)
        for (const id of ids) yield* handle(userId, id)
        expect(yield* settlement.railCircuit).toBe("closed")
        for (const id of ids) expect(yield* statusOf(id)).toEqual(Option.some(["failed", 1]))
      })
    )
  })
})
