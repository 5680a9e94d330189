import { randomUUID } from "node:crypto"
import { Clock, Effect, Option } from "effect"
import { type ClientSession, Long } from "mongodb"
import {
  breachOf,
  creditResult,
  type DailyLimit,
  defaultFor,
  effectiveLimit,
  IdempotencyKeyInUse,
  InsufficientBalance,
  type LimitDefaults,
  LimitExceeded,
  type Minor,
  open as openPayout,
  payoutResult,
  ServiceUnavailable,
  type Transaction,
  UserNotActive,
  UserNotFound,
  usageOn,
  utcDay
} from "../../domain/index.js"
import type { PayoutStoreShape } from "../../ports/PayoutStore.js"
import { again, transact } from "./driver.js"
import { type AccountGuard, movesOf, type Records } from "./records.js"

const CONTENDED_TRIES = 10

/**
 * available → held and the day's usage charged, in one conditional update of the
 * account: its filter says the balance covers the amount and the usage read is
 * still under the limits, so racing reserves cannot pass a limit together. An
 * update that matched nothing is read again: the balance, a limit, or a change
 * in between (tried again).
 */
const holdWithinLimits = (r: Records, t: Transaction, limit: DailyLimit, now: number, session: ClientSession) =>
  Effect.gen(function* () {
    const day = utcDay(now)
    for (let tries = 0; tries < CONTENDED_TRIES; tries++) {
      const read = Option.getOrUndefined(yield* r.account(t.userId, t.currency, session))
      const available = read?.available ?? 0
      const usage = usageOn(read?.daily, day)
      const breach = breachOf(limit, usage, t.amount)
      if (breach !== null) return yield* Effect.fail(new LimitExceeded({ ...breach, currency: t.currency }))
      if (available < t.amount) {
        return yield* Effect.fail(new InsufficientBalance({ available, requested: t.amount }))
      }
      const moved = yield* r.moveMoney(
        { ...movesOf(t), kind: "RESERVE", postingId: `${t.transactionId}:RESERVE` },
        now,
        session,
        usageGuard(limit, read?.daily?.day === usage.day, t.amount, usage.day)
      )
      if (Option.isSome(moved)) return moved.value
    }
    return yield* new ServiceUnavailable({ dependency: "mongodb", reason: "account contended: reserve not made" })
  })

/** The record's usage stays under the limits, or an older day's record (or none) starts `day`'s. */
const usageGuard = (limit: DailyLimit, sameDay: boolean, amount: Minor, day: string): AccountGuard =>
  sameDay
    ? {
        filter: {
          "daily.day": day,
          ...(limit.amount === null ? {} : { "daily.amount": { $lte: Long.fromNumber(limit.amount - amount) } }),
          ...(limit.count === null ? {} : { "daily.count": { $lte: limit.count - 1 } })
        },
        inc: { "daily.amount": Long.fromNumber(amount), "daily.count": 1 }
      }
    : {
        // YYYY-MM-DD compares as text: a later day's record is never replaced
        filter: { $or: [{ daily: { $exists: false } }, { "daily.day": { $lt: day } }] },
        set: { daily: { day, amount: Long.fromNumber(amount), count: 1 } }
      }

/** Money in: a payout's hold (reserve) and a funding credit. */
export const makeIntake = (r: Records, dailyLimits: LimitDefaults): Pick<PayoutStoreShape, "reserve" | "credit"> => ({
  reserve: Effect.fn("MongoPayoutStore.reserve")(function* (payout, ticket) {
    const now = yield* Clock.currentTimeMillis
    const t = openPayout(payout, now)
    return yield* again(
      transact(r.mongo, (session) =>
        Effect.gen(function* () {
          const found = yield* r.transaction(payout.transactionId, session)
          if (Option.isSome(found)) return { transaction: found.value, events: [] }
          const user = yield* r.user(payout.userId, session)
          if (Option.isNone(user)) return yield* Effect.fail(new UserNotFound({ userId: payout.userId }))
          if (user.value.status !== "active") {
            return yield* Effect.fail(new UserNotActive({ userId: payout.userId, status: user.value.status }))
          }
          if (!(yield* r.holdsTicket(ticket, session))) {
            return yield* Effect.fail(new IdempotencyKeyInUse({ key: ticket?.key ?? "" }))
          }
          const limit = effectiveLimit(defaultFor(dailyLimits, t.currency), user.value.limits?.[t.currency])
          const moved = yield* holdWithinLimits(r, t, limit, now, session)
          yield* r.insertTransaction(t, session)
          yield* r.audit(
            { ...movesOf(t), action: "PAYOUT_INITIATED", details: { amount: t.amount, currency: t.currency } },
            now,
            session
          )
          const recorded = yield* r.recordEvent(t, moved.available, now, session)
          yield* r.completeTicket(ticket, payoutResult(t), now, session)
          return { transaction: t, events: [recorded] }
        })
      )
    )
  }),

  credit: Effect.fn("MongoPayoutStore.credit")(function* (input, ticket) {
    const now = yield* Clock.currentTimeMillis
    const postingId = randomUUID()
    return yield* again(
      transact(r.mongo, (session) =>
        Effect.gen(function* () {
          const user = yield* r.user(input.userId, session)
          if (Option.isNone(user)) return yield* Effect.fail(new UserNotFound({ userId: input.userId }))
          if (user.value.status === "closed") {
            return yield* Effect.fail(new UserNotActive({ userId: input.userId, status: user.value.status }))
          }
          if (!(yield* r.holdsTicket(ticket, session))) {
            return yield* Effect.fail(new IdempotencyKeyInUse({ key: ticket?.key ?? "" }))
          }
          const moved = yield* r.moveMoney({ ...input, kind: "FUND", transactionId: null, postingId }, now, session)
          if (Option.isNone(moved)) return yield* Effect.dieMessage("a funding upsert matched nothing")
          yield* r.audit(
            {
              userId: input.userId,
              transactionId: null,
              action: "ACCOUNT_CREDITED",
              details: { amount: input.amount, currency: input.currency }
            },
            now,
            session
          )
          const after = moved.value
          yield* r.completeTicket(ticket, creditResult(after), now, session)
          return after
        })
      )
    )
  })
})
