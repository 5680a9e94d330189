import { randomUUID } from "node:crypto"
import { Clock, Data, Effect, Option } from "effect"
import type { ClientSession } from "mongodb"
import {
  IdempotencyKeyInUse,
  InsufficientBalance,
  initiate,
  isOpen,
  type Processing,
  type Transaction,
  type TransactionId,
  TransactionNotFound,
  UserNotActive,
  UserNotFound
} from "../../domain/index.js"
import * as Txn from "../../domain/transaction.js"
import type { PayoutStoreShape } from "../../ports/PayoutStore.js"
import { type DuplicateKey, transact } from "./driver.js"
import type { Records } from "./records.js"

/** The transaction changed under us: run the step again from a fresh read. */
class Retry extends Data.TaggedError("Retry") {}

type Rerun = Retry | DuplicateKey
const isRerun = (e: { readonly _tag: string }): e is Rerun => e._tag === "Retry" || e._tag === "DuplicateKey"

/** A lost compare-and-set or a concurrent insert of the same key reruns the whole step, which then sees the winner. */
const again = <A, E extends { readonly _tag: string }, R>(self: Effect.Effect<A, E | Rerun, R>) =>
  self.pipe(Effect.retry({ times: 3, while: isRerun }), Effect.catchIf(isRerun, Effect.die))

export const makeMovements = (
  r: Records
): Pick<PayoutStoreShape, "reserve" | "credit" | "startProcessing" | "settle" | "release"> => {
  const existing = (transactionId: TransactionId, session: ClientSession) =>
    Effect.flatMap(r.transaction(transactionId, session), (found) =>
      Option.match(found, {
        onNone: () => Effect.fail(new TransactionNotFound({ transactionId })),
        onSome: Effect.succeed
      })
    )

  /** processing → completed/failed with its money move and audit entry; any other state is returned as it stands. */
  const finish = (
    transactionId: TransactionId,
    now: number,
    step: (t: Processing) => {
      readonly next: Transaction
      readonly kind: "SETTLE" | "RELEASE"
      readonly audit: {
        readonly action: "PAYOUT_COMPLETED" | "PAYOUT_FAILED"
        readonly details: Record<string, unknown>
      }
    }
  ) =>
    again(
      transact(r.mongo, (session) =>
        Effect.gen(function* () {
          const t = yield* existing(transactionId, session)
          if (t._tag !== "processing") return t
          const { next, kind, audit } = step(t)
          if (!(yield* r.replaceTransaction(t, next, session))) return yield* Effect.fail(new Retry())
          const moved = yield* r.moveMoney(
            {
              kind,
              userId: t.userId,
              currency: t.currency,
              amount: t.amount,
              transactionId,
              postingId: `${transactionId}:${kind}`
            },
            now,
            session
          )
          if (Option.isNone(moved)) return yield* Effect.dieMessage(`held does not cover ${transactionId}`)
          yield* r.audit({ userId: t.userId, transactionId, ...audit }, now, session)
          return next
        })
      )
    )

  return {
    reserve: Effect.fn("MongoPayoutStore.reserve")(function* (payout, ticket) {
      const now = yield* Clock.currentTimeMillis
      const t = initiate(payout, now)
      return yield* again(
        transact(r.mongo, (session) =>
          Effect.gen(function* () {
            const found = yield* r.transaction(payout.transactionId, session)
            if (Option.isSome(found)) return found.value
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
            const result = {
              _tag: "Payout",
              transactionId: t.transactionId,
              amount: t.amount,
              currency: t.currency
            } as const
            yield* r.completeTicket(ticket, result, now, session)
            return t
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
            const result = {
              _tag: "Credit",
              userId: after.userId,
              currency: after.currency,
              available: after.available
            } as const
            yield* r.completeTicket(ticket, result, now, session)
            return after
          })
        )
      )
    }),

    startProcessing: Effect.fn("MongoPayoutStore.startProcessing")(function* (transactionId, expectedAttempts) {
      const now = yield* Clock.currentTimeMillis
      return yield* again(
        transact(r.mongo, (session) =>
          Effect.gen(function* () {
            const t = yield* existing(transactionId, session)
            if (!isOpen(t) || t.attempts !== expectedAttempts) return { _tag: "Stale", transaction: t } as const
            const next = Txn.startProcessing(t, now)
            if (!(yield* r.replaceTransaction(t, next, session))) return yield* Effect.fail(new Retry())
            yield* r.audit(
              { ...movesOf(t), action: "PAYOUT_PROCESSING", details: { attempt: next.attempts } },
              now,
              session
            )
            return { _tag: "Claimed", transaction: next, first: t._tag === "initiated" } as const
          })
        )
      )
    }),

    settle: Effect.fn("MongoPayoutStore.settle")(function* (transactionId) {
      const now = yield* Clock.currentTimeMillis
      return yield* finish(transactionId, now, (t) => ({
        next: Txn.complete(t, now),
        kind: "SETTLE",
        audit: { action: "PAYOUT_COMPLETED", details: { amount: t.amount, attempts: t.attempts } }
      }))
    }),

    release: Effect.fn("MongoPayoutStore.release")(function* (transactionId, reason) {
      const now = yield* Clock.currentTimeMillis
      return yield* finish(transactionId, now, (t) => ({
        next: Txn.fail(t, reason, now),
        kind: "RELEASE",
        audit: { action: "PAYOUT_FAILED", details: { amount: t.amount, reason, attempts: t.attempts } }
      }))
    })
  }
}

const movesOf = (t: Transaction) => ({
  userId: t.userId,
  currency: t.currency,
  amount: t.amount,
  transactionId: t.transactionId
})
