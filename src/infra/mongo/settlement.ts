import { Clock, Effect, Option } from "effect"
import type { ClientSession } from "mongodb"
import {
  isOpen,
  type Processing,
  type Transaction,
  type TransactionId,
  TransactionNotFound
} from "../../domain/index.js"
import * as Txn from "../../domain/transaction.js"
import type { PayoutStoreShape } from "../../ports/PayoutStore.js"
import { again, Retry, transact } from "./driver.js"
import { movesOf, type Records } from "./records.js"

/** The worker's side: claim an attempt, then settle or release the hold, each a compare-and-set on (status, attempts). */
export const makeSettlement = (r: Records): Pick<PayoutStoreShape, "startProcessing" | "settle" | "release"> => {
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
