import { randomUUID } from "node:crypto"
import { Clock, Effect, Option } from "effect"
import {
  creditResult,
  IdempotencyKeyInUse,
  InsufficientBalance,
  open as openPayout,
  payoutResult,
  UserNotActive,
  UserNotFound
} from "../../domain/index.js"
import type { PayoutStoreShape } from "../../ports/PayoutStore.js"
import { again, transact } from "./driver.js"
import { movesOf, type Records } from "./records.js"

/** Money in: a payout's hold (reserve) and a funding credit. */
export const makeIntake = (r: Records): Pick<PayoutStoreShape, "reserve" | "credit"> => ({
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
          const moved = yield* r.moveMoney(
            { ...movesOf(t), kind: "RESERVE", postingId: `${t.transactionId}:RESERVE` },
            now,
            session
          )
          if (Option.isNone(moved)) {
            const account = yield* r.account(t.userId, t.currency, session)
            const available = Option.match(account, { onNone: () => 0, onSome: (a) => a.available })
            return yield* Effect.fail(new InsufficientBalance({ available, requested: t.amount }))
          }
          yield* r.insertTransaction(t, session)
          yield* r.audit(
            { ...movesOf(t), action: "PAYOUT_INITIATED", details: { amount: t.amount, currency: t.currency } },
            now,
            session
          )
          const recorded = yield* r.recordEvent(t, moved.value.available, now, session)
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
