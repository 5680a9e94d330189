import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, TestClock } from "effect"
import { SYSTEM_ACTOR, type TransactionId, type UserId } from "../../src/domain/index.js"
import { EventLog } from "../../src/ports/EventLog.js"
import { SIMULATED_RETURN_REASON } from "../../src/ports/memory/settlementRail.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { RailBook } from "../../src/ports/RailBook.js"
import { RailReturns } from "../../src/ports/RailReturns.js"
import { BankReturns, BankReturnsLoop } from "../../src/programs/BankReturns.js"
import { PayoutChanges } from "../../src/programs/PayoutChanges.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { PayoutSettlement } from "../../src/programs/PayoutSettlement.js"
import { createUser, infra, programs, settings, usd } from "./harness.js"

const RETURN_DELAY_MS = 3_000
const INTERVAL_MS = 500
const RAIL_MS = 100

const base = Layer.mergeAll(programs, BankReturns.layer.pipe(Layer.provideMerge(PayoutChanges.layer))).pipe(
  Layer.provideMerge(infra({ processingDelayMs: RAIL_MS, failureRate: 0, returnDelayMs: RETURN_DELAY_MS })),
  Layer.provide(settings({ RECOVERY_INTERVAL_MS: String(INTERVAL_MS) }))
)
/** With the worker's loop running on the test clock. */
const looping = Layer.provideMerge(BankReturnsLoop, base)

const pay = (userId: UserId, simulate?: string) =>
  Effect.flatMap(PayoutIntake, (intake) =>
    intake.submit({
      actor: { userId, role: "user" },
      body: { userId, amount: 10, ...(simulate === undefined ? {} : { metadata: { simulate } }) },
      idempotencyKey: null
    })
  )

/** The worker settles it: the rail pays after RAIL_MS of the test clock. */
const settle = (transactionId: TransactionId, userId: UserId) =>
  Effect.gen(function* () {
    const settlement = yield* PayoutSettlement
    const fiber = yield* Effect.fork(settlement.handle({ transactionId, userId, expectedAttempts: 0 }))
    yield* TestClock.adjust(RAIL_MS)
    yield* Fiber.join(fiber)
  })

const status = (id: TransactionId) =>
  Effect.map(
    Effect.flatMap(PayoutStore, (s) => s.getTransaction(id)),
    Option.map((t) => t._tag)
  )

describe('BankReturns: simulate: "return"', () => {
  it.scoped("the rail reports the paid payout returned RAIL_SIMULATED_RETURN_DELAY_MS later, not before; once", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000, "ret")
      const accepted = yield* pay(userId, "return")
      const id = accepted.transactionId
      yield* settle(id, userId)
      expect(yield* status(id)).toEqual(Option.some("completed"))
      expect(yield* usd(userId)).toMatchObject({ available: 9_000, held: 0 })

      // passes of the loop until just before the due time: nothing
      yield* TestClock.adjust(RETURN_DELAY_MS - 1)
      expect(yield* status(id)).toEqual(Option.some("completed"))
      // due: the next pass records it
      yield* TestClock.adjust(INTERVAL_MS + 1)
      expect(yield* status(id)).toEqual(Option.some("returned"))
      const t = yield* Effect.flatMap(PayoutStore, (s) => s.getTransaction(id))
      expect(t).toMatchObject({ value: { returnReason: SIMULATED_RETURN_REASON, returnedBy: SYSTEM_ACTOR } })
      expect(yield* usd(userId)).toMatchObject({ available: 10_000, held: 0 })

      const audit = yield* Effect.flatMap(PayoutStore, (s) => s.audit(id))
      expect(audit.map((e) => e.action)).toEqual([
        "PAYOUT_INITIATED",
        "PAYOUT_PROCESSING",
        "PAYOUT_COMPLETED",
        "PAYOUT_RETURNED"
      ])
      expect(audit.at(-1)?.details).toMatchObject({ by: "system", reason: SIMULATED_RETURN_REASON })
      const events = yield* Effect.flatMap(EventLog, (log) => log.read({ userId, after: 0, limit: 10 }))
      expect(events.map((e) => e.event.type)).toEqual([
        "PAYOUT_INITIATED",
        "PAYOUT_PROCESSING",
        "PAYOUT_COMPLETED",
        "PAYOUT_RETURNED"
      ])
      // acknowledged: reported no more, and later passes move nothing
      expect(yield* Effect.flatMap(RailReturns, (r) => r.due(10))).toEqual([])
      yield* TestClock.adjust(10 * INTERVAL_MS)
      expect((yield* Effect.flatMap(PayoutStore, (s) => s.audit(id))).length).toBe(4)
      expect((yield* Effect.flatMap(PayoutStore, (s) => s.reconcile)).ok).toBe(true)
    }).pipe(Effect.provide(looping))
  )

  it.effect('a payout without simulate: "return" stays completed', () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000, "ret")
      const { transactionId: id } = yield* pay(userId)
      yield* settle(id, userId)
      yield* TestClock.adjust(RETURN_DELAY_MS * 10)
      expect(yield* Effect.flatMap(BankReturns, (b) => b.runOnce)).toBe(0)
      expect(yield* status(id)).toEqual(Option.some("completed"))
      expect(yield* Effect.flatMap(RailBook, (b) => b.dueReturns(Number.MAX_SAFE_INTEGER, 10))).toEqual([])
    }).pipe(Effect.provide(base))
  )

  it.effect("a return due before the payout is completed on our side waits for the settle, then is recorded", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000, "ret")
      const { transactionId: id } = yield* pay(userId, "return")
      // the bank reports it before our settle landed (a worker that crashed after the rail paid)
      yield* Effect.flatMap(RailBook, (b) => b.scheduleReturn(id, 0))
      const bank = yield* BankReturns
      expect(yield* bank.runOnce).toBe(0)
      expect(yield* status(id)).toEqual(Option.some("initiated"))
      expect((yield* Effect.flatMap(RailReturns, (r) => r.due(10))).map((r) => r.transactionId)).toEqual([id])
      yield* settle(id, userId)
      expect(yield* bank.runOnce).toBe(1)
      expect(yield* status(id)).toEqual(Option.some("returned"))
      expect(yield* usd(userId)).toMatchObject({ available: 10_000, held: 0 })
      // a crash between the record and the acknowledgement reports it again: recording it again moves nothing
      yield* Effect.flatMap(RailBook, (b) => b.scheduleReturn(id, 0))
      expect(yield* bank.runOnce).toBe(0)
      expect(yield* Effect.flatMap(RailReturns, (r) => r.due(10))).toEqual([])
      expect(yield* usd(userId)).toMatchObject({ available: 10_000, held: 0 })
    }).pipe(Effect.provide(base))
  )
})
