import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, type Layer, TestClock } from "effect"
import { minor, UserId } from "../../src/domain/index.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { batchOf, fundedUser, payout } from "./payoutStore.js"

/** 2026-12-06T23:59:00Z: one minute before a UTC day ends. */
const LATE_IN_THE_DAY = Date.UTC(2026, 11, 6, 23, 59, 0)

const usd = (userId: UserId) =>
  Effect.flatMap(PayoutStore, (s) => s.accounts(userId)).pipe(Effect.map((as) => as.find((a) => a.currency === "USD")))

const failureOf = <A, E>(exit: Exit.Exit<A, E>) =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined

/**
 * Daily payout limits in the reserve's own step, on one backend. Limits come
 * from a user's overrides here (the defaults from the settings are the same
 * code path: the e2e tests set them).
 */
export const limitsContract = (name: string, layer: Layer.Layer<PayoutStore>) =>
  describe(`PayoutStore daily limits: ${name}`, () => {
    it.layer(layer)((it) => {
      const test = <A, E>(title: string, body: () => Effect.Effect<A, E, PayoutStore>) =>
        it.effect(title, () => Effect.zipRight(TestClock.setTime(LATE_IN_THE_DAY), Effect.suspend(body)))

      test("a count limit refuses the payout after the last allowed, with what is left; nothing moves", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(10_000)
          yield* store.setUserLimits(userId, { USD: { count: 2 } })
          yield* store.reserve(payout(userId, 100), null)
          yield* store.reserve(payout(userId, 100), null)
          const refused = failureOf(yield* Effect.exit(store.reserve(payout(userId, 100), null)))
          expect(refused).toMatchObject({ _tag: "LimitExceeded", kind: "count", max: 2, used: 2, remaining: 0 })
          expect(yield* usd(userId)).toMatchObject({ available: 9_800, held: 200 })
          expect((yield* store.reconcile).differences).toEqual([])
        }))

      test("an amount limit counts what was reserved today; a payout that fits what is left passes", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(10_000)
          yield* store.setUserLimits(userId, { USD: { amount: minor(1_000) } })
          yield* store.reserve(payout(userId, 700), null)
          const refused = failureOf(yield* Effect.exit(store.reserve(payout(userId, 301), null)))
          expect(refused).toMatchObject({
            _tag: "LimitExceeded",
            kind: "amount",
            max: 1_000,
            used: 700,
            remaining: 300
          })
          yield* store.reserve(payout(userId, 300), null)
          expect(yield* usd(userId)).toMatchObject({ available: 9_000, held: 1_000 })
        }))

      test("the next UTC day starts from zero", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(10_000)
          yield* store.setUserLimits(userId, { USD: { count: 1 } })
          yield* store.reserve(payout(userId, 100), null)
          expect(failureOf(yield* Effect.exit(store.reserve(payout(userId, 100), null)))).toMatchObject({
            _tag: "LimitExceeded"
          })
          yield* TestClock.adjust("2 minutes")
          yield* store.reserve(payout(userId, 100), null)
          expect(yield* usd(userId)).toMatchObject({ held: 200, daily: { day: "2026-12-07", count: 1 } })
        }))

      test("a reserve dated before the recorded day (a clock behind) is charged to that day, never resets it", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(100_000)
          yield* store.setUserLimits(userId, { USD: { amount: minor(10_000) } })
          yield* TestClock.adjust("2 minutes") // 00:01 on the 7th
          yield* store.reserve(payout(userId, 10_000), null)
          yield* TestClock.setTime(LATE_IN_THE_DAY) // a gateway whose clock still says the 6th
          const behind = failureOf(yield* Effect.exit(store.reserve(payout(userId, 10_000), null)))
          expect(behind).toMatchObject({ _tag: "LimitExceeded", kind: "amount", used: 10_000, remaining: 0 })
          yield* TestClock.adjust("3 minutes")
          expect(failureOf(yield* Effect.exit(store.reserve(payout(userId, 1), null)))).toMatchObject({
            _tag: "LimitExceeded"
          })
          expect(yield* usd(userId)).toMatchObject({ held: 10_000, daily: { day: "2026-12-07", amount: 10_000 } })
        }))

      test("a refused payout for want of balance charges nothing; a repeat of a reserve charges once", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(500)
          yield* store.setUserLimits(userId, { USD: { count: 2 } })
          expect(failureOf(yield* Effect.exit(store.reserve(payout(userId, 600), null)))).toMatchObject({
            _tag: "InsufficientBalance"
          })
          const once = payout(userId, 100)
          yield* store.reserve(once, null)
          yield* store.reserve(once, null)
          expect(yield* usd(userId)).toMatchObject({ held: 100, daily: { count: 1, amount: 100 } })
          yield* store.reserve(payout(userId, 100), null)
        }))

      test("a batch's items count against the limit together: atomic refuses the whole batch, else the items past it", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(100_000)
          yield* store.setUserLimits(userId, { USD: { count: 3 } })
          yield* store.reserve(payout(userId, 100), null)
          const refused = yield* Effect.flip(
            store.reserveBatch(
              batchOf(true, [
                [userId, 100],
                [userId, 100],
                [userId, 100]
              ]),
              null
            )
          )
          expect(refused).toMatchObject({
            _tag: "BatchRejected",
            items: [{ index: 2, code: "LIMIT_EXCEEDED" }]
          })
          expect(yield* usd(userId)).toMatchObject({ held: 100, daily: { count: 1 } })
          const partial = yield* store.reserveBatch(
            batchOf(false, [
              [userId, 100],
              [userId, 100],
              [userId, 100]
            ]),
            null
          )
          expect(partial.batch.items.map((i) => [i._tag, i._tag === "rejected" ? i.code : null])).toEqual([
            ["accepted", null],
            ["accepted", null],
            ["rejected", "LIMIT_EXCEEDED"]
          ])
          expect(yield* usd(userId)).toMatchObject({ held: 300, daily: { count: 3, amount: 300 } })
        }))

      test("racing reserves never pass a limit together", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(100_000)
          yield* store.setUserLimits(userId, { USD: { count: 3, amount: minor(5_000) } })
          const exits = yield* Effect.all(
            Array.from({ length: 12 }, () => Effect.exit(store.reserve(payout(userId, 1_000), null))),
            { concurrency: "unbounded" }
          )
          expect(exits.filter(Exit.isSuccess)).toHaveLength(3)
          expect(
            exits
              .map(failureOf)
              .filter((e) => e !== undefined)
              .map((e) => e._tag)
          ).toEqual(Array(9).fill("LimitExceeded"))
          expect(yield* usd(userId)).toMatchObject({ held: 3_000, daily: { count: 3, amount: 3_000 } })
        }))

      test("overrides are changed per currency and field; null drops one", () =>
        Effect.gen(function* () {
          const store = yield* PayoutStore
          const userId = yield* fundedUser(0)
          const first = yield* store.setUserLimits(userId, {
            USD: { amount: minor(5_000), count: 3 },
            EUR: { count: 1 }
          })
          expect(first.limits).toEqual({ USD: { amount: 5_000, count: 3 }, EUR: { count: 1 } })
          const second = yield* store.setUserLimits(userId, { USD: { count: null }, EUR: { count: null } })
          expect(second.limits).toEqual({ USD: { amount: 5_000 } })
          const read = yield* store.getUser(userId)
          expect(read._tag === "Some" && read.value.limits).toEqual({ USD: { amount: 5_000 } })
          expect(
            failureOf(yield* Effect.exit(store.setUserLimits(UserId.make("nobody_limits"), { USD: { count: 1 } })))
          ).toMatchObject({ _tag: "UserNotFound" })
        }))
    })
  })
