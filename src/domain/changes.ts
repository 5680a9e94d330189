import { PayoutNotCancelable, PayoutNotReturnable } from "./errors.js"
import type { UserId } from "./ids.js"
import type { AuditAction, PostingKind } from "./ledger.js"
import { cancel, complete, fail, isCancelable, type Processing, recordReturn, type Transaction } from "./transaction.js"

/** A change a client asks for after intake: the new state, its money move and its audit entry. */
export interface PayoutChange {
  readonly next: Transaction
  readonly kind: PostingKind
  /** The posting's id is `<transactionId>:<suffix>`: one such posting per payout. */
  readonly postingSuffix: string
  readonly action: AuditAction
  readonly details: Readonly<Record<string, unknown>>
}

/** Made already (a repeat: nothing to write), refused, or to be written. */
export type ChangeDecision<E> =
  | { readonly _tag: "Done" }
  | { readonly _tag: "Refused"; readonly error: E }
  | { readonly _tag: "Change"; readonly change: PayoutChange }

const done = { _tag: "Done" } as const

/** initiated | scheduled → canceled, held → available. */
export const cancelDecision = (t: Transaction, by: UserId, at: number): ChangeDecision<PayoutNotCancelable> =>
  t._tag === "canceled"
    ? done
    : !isCancelable(t)
      ? { _tag: "Refused", error: new PayoutNotCancelable({ status: t._tag }) }
      : {
          _tag: "Change",
          change: {
            next: cancel(t, by, at),
            kind: "RELEASE",
            postingSuffix: "CANCEL",
            action: "PAYOUT_CANCELED",
            details: { amount: t.amount, by }
          }
        }

/** completed → returned, paid out → available. */
export const returnDecision = (
  t: Transaction,
  reason: string,
  by: UserId,
  at: number
): ChangeDecision<PayoutNotReturnable> =>
  t._tag === "returned"
    ? done
    : t._tag !== "completed"
      ? { _tag: "Refused", error: new PayoutNotReturnable({ status: t._tag }) }
      : {
          _tag: "Change",
          change: {
            next: recordReturn(t, reason, by, at),
            kind: "RETURN",
            postingSuffix: "RETURN",
            action: "PAYOUT_RETURNED",
            details: { amount: t.amount, reason, by }
          }
        }

/** processing → completed, held → paid out: the attempt's success. */
export const settleChange = (t: Processing, at: number): PayoutChange => ({
  next: complete(t, at),
  kind: "SETTLE",
  postingSuffix: "SETTLE",
  action: "PAYOUT_COMPLETED",
  details: { amount: t.amount, attempts: t.attempts }
})

/** processing → failed, held → available: the rail declined, or retries ran out. */
export const releaseChange = (t: Processing, reason: string, at: number): PayoutChange => ({
  next: fail(t, reason, at),
  kind: "RELEASE",
  postingSuffix: "RELEASE",
  action: "PAYOUT_FAILED",
  details: { amount: t.amount, reason, attempts: t.attempts }
})
