import { Clock, Effect, Option } from "effect"
import type { ClientSession } from "mongodb"
import {
  type AttemptRef,
  type ChangeDecision,
  cancelDecision,
  cancelResult,
  claimDecision,
  GIVEN_UP,
  IdempotencyKeyInUse,
  isHeldBy,
  isOpen,
  type PayoutChange,
  type PayoutNotCancelable,
  type PayoutNotReturnable,
  type Processing,
  releaseChange,
  returnDecision,
  type ServiceUnavailable,
  settleChange,
  type Transaction,
  type TransactionId,
  TransactionNotFound
} from "../../domain/index.js"
import * as Txn from "../../domain/transaction.js"
import type { Finish, IdempotencyTicket, PayoutStoreShape } from "../../ports/PayoutStore.js"
import { again, call, query, Retry, transact } from "./driver.js"
import { movesOf, type Records } from "./records.js"

type SettlementOps =
  | "startProcessing"
  | "renewLease"
  | "deferAttempt"
  | "settle"
  | "release"
  | "cancel"
  | "recordReturn"

/** The attempt's own document: processing, this attempt, this owner. The filter is the fence. */
const heldBy = (ref: AttemptRef) => ({
  transactionId: ref.transactionId,
  status: "processing",
  attempts: ref.attempt,
  claimedBy: ref.owner
})

/**
 * The worker's side: claim an attempt under a lease, keep it alive, then settle or
 * release the hold. Every write is a compare-and-set on the attempt it belongs to.
 */
export const makeSettlement = (r: Records): Pick<PayoutStoreShape, SettlementOps> => {
  const { c } = r
  const existing = (transactionId: TransactionId, session?: ClientSession) =>
    Effect.flatMap(r.transaction(transactionId, session), (found) =>
      Option.match(found, {
        onNone: () => Effect.fail(new TransactionNotFound({ transactionId })),
        onSome: Effect.succeed
      })
    )

  /**
   * A change's new state (a compare-and-set on the document as read: a racing
   * writer makes it run again), its money move, audit entry and event.
   */
  const write = (t: Transaction, change: PayoutChange, now: number, session: ClientSession) =>
    Effect.gen(function* () {
      const { next, kind, postingSuffix, action, details } = change
      if (!(yield* r.replaceTransaction(t, next, session))) return yield* Effect.fail(new Retry())
      const moved = yield* r.moveMoney(
        { ...movesOf(t), kind, postingId: `${t.transactionId}:${postingSuffix}` },
        now,
        session
      )
      if (Option.isNone(moved)) return yield* Effect.dieMessage(`${kind} not covered for ${t.transactionId}`)
      yield* r.audit({ ...movesOf(t), action, details }, now, session)
      const recorded = yield* r.recordEvent(next, moved.value.available, now, session)
      const finished: Finish = { moved: true, transaction: next, events: [recorded] }
      return finished
    })

  /** processing → completed/failed, if the attempt still holds it. */
  const finish = (
    ref: AttemptRef,
    now: number,
    step: (t: Processing) => PayoutChange
  ): Effect.Effect<Finish, TransactionNotFound | ServiceUnavailable> =>
    again(
      transact(r.mongo, (session) =>
        Effect.flatMap(existing(ref.transactionId, session), (t) =>
          isHeldBy(t, ref)
            ? write(t, step(t), now, session)
            : Effect.succeed<Finish>({ moved: false, transaction: t, events: [] })
        )
      )
    )

  /** A change a client asked for, decided by the domain; the replace's compare-and-set excludes a racing claim. */
  const change = <E extends PayoutNotCancelable | PayoutNotReturnable>(
    transactionId: TransactionId,
    now: number,
    decide: (t: Transaction) => ChangeDecision<E>,
    /** A cancel's Idempotency-Key, completed in this transaction whether it moved or found it done. */
    ticket: IdempotencyTicket | null = null
  ): Effect.Effect<Finish, E | TransactionNotFound | IdempotencyKeyInUse | ServiceUnavailable> =>
    again(
      transact(r.mongo, (session) =>
        Effect.gen(function* () {
          const t = yield* existing(transactionId, session)
          const decision = decide(t)
          if (decision._tag === "Refused") return yield* Effect.fail(decision.error)
          if (!(yield* r.holdsTicket(ticket, session))) {
            return yield* Effect.fail(new IdempotencyKeyInUse({ key: ticket?.key ?? "" }))
          }
          const finish: Finish =
            decision._tag === "Done"
              ? { moved: false, transaction: t, events: [] }
              : yield* write(t, decision.change, now, session)
          yield* r.completeTicket(ticket, cancelResult(finish.transaction), now, session)
          return finish
        })
      )
    )

  return {
    startProcessing: Effect.fn("MongoPayoutStore.startProcessing")(function* (transactionId, expectedAttempts, lease) {
      const now = yield* Clock.currentTimeMillis
      return yield* again(
        transact(r.mongo, (session) =>
          Effect.gen(function* () {
            const t = yield* existing(transactionId, session)
            const decision = claimDecision(t, expectedAttempts, now)
            if (decision._tag === "Busy" && t._tag === "processing") return { _tag: "Busy", transaction: t } as const
            if (decision._tag !== "Claim" || !isOpen(t)) return { _tag: "Stale", transaction: t } as const
            const next = Txn.startProcessing(t, lease, now)
            if (!(yield* r.replaceTransaction(t, next, session))) return yield* Effect.fail(new Retry())
            yield* r.audit(
              { ...movesOf(t), action: "PAYOUT_PROCESSING", details: { attempt: next.attempts } },
              now,
              session
            )
            const first = t._tag !== "processing"
            if (!first) return { _tag: "Claimed", transaction: next, first, events: [] } as const
            const account = yield* r.account(t.userId, t.currency, session)
            const balance = Option.match(account, { onNone: () => undefined, onSome: (a) => a.available })
            const recorded = yield* r.recordEvent(next, balance, now, session)
            return { _tag: "Claimed", transaction: next, first, events: [recorded] } as const
          })
        )
      )
    }),

    renewLease: Effect.fn("MongoPayoutStore.renewLease")(function* (ref, ms) {
      const now = yield* Clock.currentTimeMillis
      // never a lease given up (claimedUntil GIVEN_UP): a late heartbeat must not revive it
      const result = yield* query(
        call(() =>
          c.transactions.updateOne(
            { ...heldBy(ref), claimedUntil: { $ne: GIVEN_UP } },
            { $set: { claimedUntil: now + ms } }
          )
        )
      )
      return result.matchedCount === 1
    }),

    deferAttempt: Effect.fn("MongoPayoutStore.deferAttempt")(function* (ref, retryAt) {
      const now = yield* Clock.currentTimeMillis
      yield* query(
        call(() =>
          c.transactions.updateOne(heldBy(ref), { $set: { claimedUntil: GIVEN_UP, queuedAt: retryAt, updatedAt: now } })
        )
      )
      return yield* query(existing(ref.transactionId))
    }),

    settle: Effect.fn("MongoPayoutStore.settle")(function* (ref) {
      const now = yield* Clock.currentTimeMillis
      return yield* finish(ref, now, (t) => settleChange(t, now))
    }),

    cancel: Effect.fn("MongoPayoutStore.cancel")(function* (transactionId, by, ticket = null) {
      const now = yield* Clock.currentTimeMillis
      return yield* change(transactionId, now, (t) => cancelDecision(t, by, now), ticket)
    }),

    recordReturn: Effect.fn("MongoPayoutStore.recordReturn")(function* (transactionId, reason, by) {
      const now = yield* Clock.currentTimeMillis
      // no ticket: no key can be in use
      return yield* Effect.catchTag(
        change(transactionId, now, (t) => returnDecision(t, reason, by, now)),
        "IdempotencyKeyInUse",
        Effect.die
      )
    }),

    release: Effect.fn("MongoPayoutStore.release")(function* (ref, reason) {
      const now = yield* Clock.currentTimeMillis
      return yield* finish(ref, now, (t) => releaseChange(t, reason, now))
    })
  }
}
