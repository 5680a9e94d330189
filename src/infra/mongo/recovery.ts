import { Clock, Effect } from "effect"
import { isRecoverable, markQueued, type Open, type ServiceUnavailable } from "../../domain/index.js"
import type { PayoutStoreShape } from "../../ports/PayoutStore.js"
import { decode, TransactionDoc } from "./documents.js"
import { call, query } from "./driver.js"
import type { Collections } from "./indexes.js"
import { casFilter, type Records } from "./records.js"

/*
 * Recovery's bookkeeping lives in the transaction documents, not in a process:
 * `queuedAt` says when a payout was last put on the queue, and marking it is a
 * single-document compare-and-set, so N workers re-queue it once per idle period.
 */

/**
 * Open payouts written by a release before leases (no `queuedAt`, `claimedBy`,
 * `claimedUntil`) get them, due at once and unclaimed, so Recovery finds them.
 * Idempotent; runs at every start-up.
 */
export const migrateOpenPayouts = (c: Collections): Effect.Effect<void, ServiceUnavailable> =>
  Effect.all([
    call(() =>
      c.transactions.updateMany(
        { status: { $in: ["initiated", "processing"] }, queuedAt: null },
        { $set: { queuedAt: 0 } }
      )
    ),
    call(() =>
      c.transactions.updateMany({ status: "processing", claimedBy: null }, { $set: { claimedBy: "", claimedUntil: 0 } })
    )
  ]).pipe(Effect.asVoid, query)

export const makeRecovery = (r: Records): Pick<PayoutStoreShape, "claimStuck" | "markUnqueued"> => {
  const { c } = r
  return {
    claimStuck: Effect.fn("MongoPayoutStore.claimStuck")(function* (idleMs, limit) {
      const now = yield* Clock.currentTimeMillis
      const idleSince = { $lte: now - idleMs }
      const docs = yield* query(
        call(() =>
          c.transactions
            .find({
              $or: [
                // a scheduled payout is due at its time (queuedAt starts there); isRecoverable below decides
                { status: "scheduled", queuedAt: { $lte: now } },
                { status: "initiated", queuedAt: idleSince },
                { status: "processing", queuedAt: idleSince, claimedUntil: { $lte: now } }
              ]
            })
            .sort({ queuedAt: 1 })
            .limit(Math.max(limit, 1))
            .toArray()
        )
      )
      // one document that does not decode must not stop Recovery for every other payout
      const found = yield* Effect.forEach(docs, (doc) =>
        decode(TransactionDoc)(doc).pipe(
          Effect.map((t) => [t]),
          Effect.catchAllDefect(() =>
            Effect.as(
              Effect.logError("recovery skipped a transaction that does not decode", { _id: String(doc._id) }),
              []
            )
          )
        )
      )
      const due = found
        .flat()
        .filter((t): t is Open => isRecoverable(t, now, idleMs))
        .slice(0, limit)
      const won = yield* Effect.forEach(
        due,
        (t) =>
          query(
            call(() =>
              c.transactions.updateOne(
                casFilter(t),
                // a scheduled payout whose time has come becomes initiated (markQueued)
                t._tag === "scheduled"
                  ? { $set: { queuedAt: now, status: "initiated", updatedAt: now }, $unset: { scheduledFor: "" } }
                  : { $set: { queuedAt: now } }
              )
            )
          ).pipe(Effect.map((res) => (res.matchedCount === 1 ? [markQueued(t, now)] : []))),
        { concurrency: 8 }
      )
      return won.flat()
    }),

    markUnqueued: Effect.fn("MongoPayoutStore.markUnqueued")(function* (transactionId) {
      yield* query(
        call(() =>
          c.transactions.updateOne(
            { transactionId, status: { $in: ["initiated", "processing"] } },
            { $set: { queuedAt: 0 } }
          )
        )
      )
    })
  }
}
