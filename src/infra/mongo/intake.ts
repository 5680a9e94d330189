import { randomUUID } from "node:crypto"
import { Clock, Effect, Either, Option } from "effect"
import { type ClientSession, Long } from "mongodb"
import {
  type AccountState,
  type AuditEntry,
  BatchRejected,
  batchRecord,
  batchUsers,
  breachOf,
  type Currency,
  creditResult,
  type DailyLimit,
  defaultFor,
  effectiveLimit,
  IdempotencyKeyInUse,
  InsufficientBalance,
  type LimitDefaults,
  LimitExceeded,
  type Minor,
  minor,
  type NewPayout,
  NO_LIMIT,
  open as openPayout,
  payoutResult,
  planBatch,
  rejection,
  ServiceUnavailable,
  type Transaction,
  type User,
  UserNotActive,
  UserNotFound,
  usageOn,
  utcDay
} from "../../domain/index.js"
import type { PayoutStoreShape, Reserved } from "../../ports/PayoutStore.js"
import { again, query, transact } from "./driver.js"
import { type AccountGuard, movesOf, type Records } from "./records.js"

const CONTENDED_TRIES = 10

/**
 * available → held and the day's usage charged, in one conditional update of the
 * account: its filter says the balance covers the amount and the usage read is
 * still under the limits, so racing reserves cannot pass a limit together. An
 * update that matched nothing is read again: the balance, a limit, a record of
 * another day, or a change in between (tried again).
 */
const holdWithinLimits = (r: Records, t: Transaction, limit: DailyLimit, now: number, session: ClientSession) =>
  Effect.gen(function* () {
    const day = utcDay(now)
    const posting = { ...movesOf(t), kind: "RESERVE" as const, postingId: `${t.transactionId}:RESERVE` }
    // the usual case first, with no read: the account already has today's record and room for the payout
    const hopeful = yield* r.moveMoney(posting, now, session, usageGuard(limit, true, t.amount, day))
    if (Option.isSome(hopeful)) return hopeful.value
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
        posting,
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

/**
 * One payout's hold inside the caller's transaction, checked by the caller for
 * user and ticket: the conditional debit (available → held, within the daily
 * limit), the transaction, its audit entry and its event. A single reserve and
 * every item of a batch write through here, so the two cannot drift.
 */
const hold = (
  r: Records,
  payout: NewPayout,
  limit: DailyLimit,
  details: AuditEntry["details"],
  now: number,
  session: ClientSession
) =>
  Effect.gen(function* () {
    const t = openPayout(payout, now)
    const moved = yield* holdWithinLimits(r, t, limit, now, session)
    yield* r.insertTransaction(t, session)
    yield* r.audit(
      { ...movesOf(t), action: "PAYOUT_INITIATED", details: { amount: t.amount, currency: t.currency, ...details } },
      now,
      session
    )
    const recorded = yield* r.recordEvent(t, moved.available, now, session)
    return { transaction: t, events: [recorded] } satisfies Reserved
  })

/** Money in: a payout's hold (reserve, a batch of them) and a funding credit. */
export const makeIntake = (
  r: Records,
  dailyLimits: LimitDefaults
): Pick<PayoutStoreShape, "reserve" | "reserveBatch" | "getBatch" | "credit"> => {
  const limitFor = (user: User | undefined, currency: Currency): DailyLimit =>
    user === undefined ? NO_LIMIT : effectiveLimit(defaultFor(dailyLimits, currency), user.limits?.[currency])
  return {
    reserve: Effect.fn("MongoPayoutStore.reserve")(function* (payout, ticket) {
      const now = yield* Clock.currentTimeMillis
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
            const reserved = yield* hold(r, payout, limitFor(user.value, payout.currency), {}, now, session)
            yield* r.completeTicket(ticket, payoutResult(reserved.transaction), now, session)
            return reserved
          })
        )
      )
    }),

    reserveBatch: Effect.fn("MongoPayoutStore.reserveBatch")(function* (batch, ticket) {
      const now = yield* Clock.currentTimeMillis
      return yield* again(
        transact(r.mongo, (session) =>
          Effect.gen(function* () {
            const found = yield* r.batch(batch.batchId, session)
            if (Option.isSome(found)) return { ...found.value, events: [] }
            if (!(yield* r.holdsTicket(ticket, session))) {
              return yield* Effect.fail(new IdempotencyKeyInUse({ key: ticket?.key ?? "" }))
            }
            // Every item's preconditions, read in this transaction, before the first write. With MongoDB the
            // transaction also makes a concurrent writer conflict (and withTransaction run this again); on a
            // server that neither isolates nor rolls back (CongoServer) a race between this check and the
            // writes below is not undone: the conditional hold still never overdraws.
            const users = new Map<string, User>()
            for (const userId of batchUsers(batch.items)) {
              const user = yield* r.user(userId, session)
              if (Option.isSome(user)) users.set(userId, user.value)
            }
            const day = utcDay(now)
            const states = new Map<string, AccountState>()
            for (const item of batch.items) {
              const currency = item.currency ?? users.get(item.userId)?.currency
              const key = `${item.userId}\u0000${currency}`
              if (currency === undefined || states.has(key)) continue
              const account = Option.getOrUndefined(yield* r.account(item.userId, currency, session))
              states.set(key, { available: account?.available ?? minor(0), usage: usageOn(account?.daily, day) })
            }
            const plan = planBatch(
              batch,
              (userId) => users.get(userId),
              (userId, currency) =>
                states.get(`${userId}\u0000${currency}`) ?? { available: minor(0), usage: usageOn(undefined, day) },
              limitFor
            )
            if (plan.accepted.length === 0 || (batch.atomic && plan.rejected.length > 0)) {
              return yield* Effect.fail(new BatchRejected({ items: plan.rejected }))
            }
            const held: Array<Reserved> = []
            const accepted: Array<(typeof plan.accepted)[number]> = []
            const rejected = [...plan.rejected]
            for (const item of plan.accepted) {
              // the same write as a single reserve; its conditional debit is still the guard: it refuses an
              // item only when a concurrent writer took the money after the check (not isolated: CongoServer)
              const limit = limitFor(users.get(item.payout.userId), item.payout.currency)
              const written = yield* hold(r, item.payout, limit, { batchId: batch.batchId }, now, session).pipe(
                Effect.either,
                Effect.flatMap((x) =>
                  Either.isLeft(x) && x.left._tag !== "InsufficientBalance" && x.left._tag !== "LimitExceeded"
                    ? Effect.fail(x.left)
                    : Effect.succeed(x as Either.Either<Reserved, InsufficientBalance | LimitExceeded>)
                )
              )
              if (Either.isRight(written)) {
                held.push(written.right)
                accepted.push(item)
                continue
              }
              const late = rejection(item.index, item.payout.userId, written.left)
              if (batch.atomic) return yield* Effect.fail(new BatchRejected({ items: [late] }))
              rejected.push(late)
            }
            if (accepted.length === 0) return yield* Effect.fail(new BatchRejected({ items: rejected }))
            const record = batchRecord(batch, accepted, rejected, now)
            yield* r.insertBatch(record, session)
            yield* r.completeTicket(ticket, { _tag: "Batch", batchId: record.batchId }, now, session)
            return {
              batch: record,
              transactions: held.map((x) => x.transaction),
              events: held.flatMap((x) => x.events)
            }
          })
        )
      )
    }),

    getBatch: Effect.fn("MongoPayoutStore.getBatch")(function* (batchId) {
      return yield* query(r.batch(batchId))
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
  }
}
