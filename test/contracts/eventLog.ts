import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, TestClock } from "effect"
import { attemptOf, eventIdOf, parseEventId, type UserId } from "../../src/domain/index.js"
import { EventLog, type EventSink } from "../../src/ports/EventLog.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { fundedUser, payout } from "./payoutStore.js"

const lease = (owner: string) => ({ owner, ms: 10_000 })
const ALL = 10_000

/** One payout of `cents` through reserve → first claim → settle (or release with `failWith`). */
const runPayout = (userId: UserId, cents: number, failWith?: string) =>
  Effect.gen(function* () {
    const store = yield* PayoutStore
    const reserved = yield* store.reserve(payout(userId, cents), null)
    const claim = yield* store.startProcessing(reserved.transaction.transactionId, 0, lease("w1"))
    if (claim._tag !== "Claimed") return yield* Effect.dieMessage("not claimed")
    const ref = attemptOf(claim.transaction)
    const done = failWith === undefined ? yield* store.settle(ref) : yield* store.release(ref, failWith)
    return { reserved, claim, done, ref }
  })

const mine = (userId: UserId) => Effect.flatMap(EventLog, (log) => log.read({ userId, after: 0, limit: 100 }))

const pendingOf = (userId: UserId, sink: EventSink, recordedBefore: number) =>
  Effect.flatMap(EventLog, (log) => log.pending(sink, { recordedBefore, limit: ALL })).pipe(
    Effect.map((events) => events.filter((e) => e.event.userId === userId).map((e) => e.event.eventId))
  )

/** The EventLog and the PayoutStore that writes it, on one backend. */
export const eventLogContract = (name: string, layer: Layer.Layer<PayoutStore | EventLog>) =>
  describe(`EventLog contract: ${name}`, () => {
    it.layer(layer)((it) => {
      const test = <A, E>(title: string, body: () => Effect.Effect<A, E, PayoutStore | EventLog>) =>
        it.effect(title, () => Effect.zipRight(TestClock.setTime(Date.now()), Effect.suspend(body)))

      test("latest is the user's newest sequence, 0 before any event, never another user's", () =>
        Effect.gen(function* () {
          const log = yield* EventLog
          const userId = yield* fundedUser(1_000)
          const other = yield* fundedUser(1_000)
          expect(yield* log.latest(userId)).toBe(0)
          yield* runPayout(userId, 100)
          yield* runPayout(other, 100, "declined")
          yield* runPayout(other, 100)
          expect(yield* log.latest(userId)).toBe(3)
          expect(yield* log.latest(other)).toBe(6)
        }))

      test("each transition records its event in the same step, with the balance as written", () =>
        Effect.gen(function* () {
          const userId = yield* fundedUser(1_000)
          const { reserved, claim, done } = yield* runPayout(userId, 300)
          expect(reserved.events.map((e) => [e.event.type, e.sequence, e.event.newBalance])).toEqual([
            ["PAYOUT_INITIATED", 1, 700]
          ])
          expect(claim._tag === "Claimed" && claim.events.map((e) => e.event.type)).toEqual(["PAYOUT_PROCESSING"])
          expect(done.events.map((e) => [e.event.type, e.sequence, e.event.newBalance])).toEqual([
            ["PAYOUT_COMPLETED", 3, 700]
          ])
          const logged = yield* mine(userId)
          expect(logged).toEqual([
            ...reserved.events,
            ...(claim._tag === "Claimed" ? claim.events : []),
            ...done.events
          ])
          expect(logged.map((e) => e.event.eventId)).toEqual([1, 2, 3].map((n) => eventIdOf(userId, n)))
          expect(logged.map((e) => parseEventId(e.event.eventId))).toEqual(
            [1, 2, 3].map((sequence) => ({ userId, sequence }))
          )
          expect(logged.every((e) => e.event.transactionId === reserved.transaction.transactionId)).toBe(true)
        }))

      test("a release records PAYOUT_FAILED with the hold back in available", () =>
        Effect.gen(function* () {
          const userId = yield* fundedUser(1_000)
          const { done } = yield* runPayout(userId, 250, "rail declined")
          expect(done.events.map((e) => e.event)).toMatchObject([
            { type: "PAYOUT_FAILED", status: "failed", newBalance: 1_000, error: "rail declined", amount: 250 }
          ])
        }))

      test("a repeated transition records nothing; a later attempt's claim records no second PROCESSING", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const first = yield* store.reserve(payout(userId, 100), null)
          const again = yield* store.reserve(
            { ...payout(userId, 100), transactionId: first.transaction.transactionId },
            null
          )
          expect(again.events).toEqual([])
          const claim = yield* store.startProcessing(first.transaction.transactionId, 0, lease("w1"))
          if (claim._tag !== "Claimed") return expect.unreachable()
          yield* store.deferAttempt(attemptOf(claim.transaction), 0)
          const retry = yield* store.startProcessing(first.transaction.transactionId, 1, lease("w2"))
          expect(retry).toMatchObject({ _tag: "Claimed", first: false, events: [] })
          if (retry._tag !== "Claimed") return expect.unreachable()
          const ref = attemptOf(retry.transaction)
          expect((yield* store.settle(ref)).events).toHaveLength(1)
          expect(yield* store.settle(ref)).toMatchObject({ moved: false, events: [] })
          expect(yield* store.release(ref, "late")).toMatchObject({ moved: false, events: [] })
          expect((yield* mine(userId)).map((e) => e.event.type)).toEqual([
            "PAYOUT_INITIATED",
            "PAYOUT_PROCESSING",
            "PAYOUT_COMPLETED"
          ])
        }))

      test("sequence is per user and gap-free across payouts; read pages by cursor and type", () =>
        Effect.gen(function* () {
          const log = yield* EventLog
          const a = yield* fundedUser(10_000)
          const b = yield* fundedUser(10_000)
          for (let i = 0; i < 3; i++) {
            yield* runPayout(a, 10 + i)
            yield* runPayout(b, 20 + i, i === 1 ? "declined" : undefined)
          }
          for (const userId of [a, b]) {
            const all = yield* mine(userId)
            expect(all.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
            expect(all.every((e) => e.event.userId === userId)).toBe(true)
          }
          const page = yield* log.read({ userId: a, after: 4, limit: 2 })
          expect(page.map((e) => e.sequence)).toEqual([5, 6])
          const failed = yield* log.read({ userId: b, after: 0, limit: 10, type: "PAYOUT_FAILED" })
          expect(failed.map((e) => e.sequence)).toEqual([6])
          expect(yield* log.read({ userId: a, after: 9, limit: 10 })).toEqual([])
        }))

      test("pending and markDelivered are per sink; marking twice is a no-op", () =>
        Effect.gen(function* () {
          const log = yield* EventLog
          const userId = yield* fundedUser(1_000)
          yield* runPayout(userId, 100)
          const now = yield* TestClock.currentTimeMillis
          const ids = [1, 2, 3].map((n) => eventIdOf(userId, n))
          expect(yield* pendingOf(userId, "bus", now)).toEqual(ids)
          expect(yield* pendingOf(userId, "bus", now - 1)).toEqual([])
          yield* log.markDelivered("bus", ids.slice(0, 2))
          yield* log.markDelivered("bus", ids.slice(0, 2))
          expect(yield* pendingOf(userId, "bus", now)).toEqual(ids.slice(2))
          expect(yield* pendingOf(userId, "webhooks", now)).toEqual(ids)
          yield* log.markDelivered("webhooks", [ids[2] ?? ""])
          expect(yield* pendingOf(userId, "webhooks", now)).toEqual(ids.slice(0, 2))
        }))

      test("prune drops old events every sink has, and keeps undelivered ones", () =>
        Effect.gen(function* () {
          const log = yield* EventLog
          const userId = yield* fundedUser(1_000)
          yield* runPayout(userId, 100)
          yield* TestClock.adjust(1_000)
          yield* runPayout(userId, 100)
          const now = yield* TestClock.currentTimeMillis
          const ids = [1, 2, 3, 4, 5, 6].map((n) => eventIdOf(userId, n))
          yield* log.markDelivered("bus", ids)
          yield* log.markDelivered("webhooks", [ids[0] ?? "", ids[1] ?? "", ids[3] ?? ""])
          // only the old ones both sinks have go: 1 and 2 (4 is too recent, 3 undelivered to webhooks)
          expect(yield* log.prune(now)).toBeGreaterThanOrEqual(2)
          expect((yield* mine(userId)).map((e) => e.sequence)).toEqual([3, 4, 5, 6])
          yield* log.prune(now)
          expect((yield* mine(userId)).map((e) => e.sequence)).toEqual([3, 4, 5, 6])
        }))
    })
  })
