import type { Account } from "./account.js"
import type { BatchId } from "./batch.js"
import type { TransactionId, UserId } from "./ids.js"
import type { Currency, Minor } from "./money.js"
import type { Transaction } from "./transaction.js"

/**
 * Whose key space an Idempotency-Key lives in. A user's payout keys are the
 * user's; an admin's payout keys for a user are that admin's alone, so they
 * never replay, block or 422 the user's; credits have their own space per user.
 */
export type IdempotencyScope = PayoutScope | CreditScope | CancelScope | BatchScope

export interface PayoutScope {
  readonly _tag: "Payout"
  readonly userId: UserId
  /** The admin acting for the user; null when the user acts. */
  readonly admin: UserId | null
}

export interface CreditScope {
  readonly _tag: "Credit"
  readonly userId: UserId
}

/**
 * The cancels of one actor, whichever payout: a key names one cancel, so the
 * same key on another payout is a reuse (422). An admin's keys are its own,
 * apart from a user that happens to have the admin's id.
 */
export interface CancelScope {
  readonly _tag: "Cancel"
  readonly actor: UserId
  readonly role: "user" | "admin"
}

/** A batch's one key is its creator's: a batch may pay several users (an admin's). */
export interface BatchScope {
  readonly _tag: "Batch"
  readonly actor: UserId
}

export const IdempotencyScope = {
  payout: (userId: UserId, admin: UserId | null = null): PayoutScope => ({ _tag: "Payout", userId, admin }),
  credit: (userId: UserId): CreditScope => ({ _tag: "Credit", userId }),
  cancel: (actor: { readonly userId: UserId; readonly role: "user" | "admin" }): CancelScope => ({
    _tag: "Cancel",
    actor: actor.userId,
    role: actor.role
  }),
  batch: (actor: UserId): BatchScope => ({ _tag: "Batch", actor })
}

/**
 * How a scope is stored (`payout:<userId>`, `payout:<userId>:admin:<adminId>`, `credit:<userId>`,
 * `cancel:<role>:<actorId>`, `batch:<actor>`); userIds hold no `:`.
 */
export const scopeKey = (scope: IdempotencyScope): string =>
  scope._tag === "Credit"
    ? `credit:${scope.userId}`
    : scope._tag === "Cancel"
      ? `cancel:${scope.role}:${scope.actor}`
      : scope._tag === "Batch"
        ? `batch:${scope.actor}`
        : scope.admin === null
          ? `payout:${scope.userId}`
          : `payout:${scope.userId}:admin:${scope.admin}`

export interface PayoutResult {
  readonly _tag: "Payout"
  readonly transactionId: TransactionId
  readonly amount: Minor
  readonly currency: Currency
}

export interface CreditResult {
  readonly _tag: "Credit"
  readonly userId: UserId
  readonly currency: Currency
  readonly available: Minor
}

/** A cancel's answer is its payout, canceled for good: the key remembers which one. */
export interface CancelResult {
  readonly _tag: "Cancel"
  readonly transactionId: TransactionId
}

/** A batch's answer is its stored record: the key remembers which. */
export interface BatchResult {
  readonly _tag: "Batch"
  readonly batchId: BatchId
}

/** The first answer of a key, replayed as is; its `_tag` is its scope's. */
export type IdempotentResult = PayoutResult | CreditResult | CancelResult | BatchResult

/** What a scope's keys remember. */
export type ResultOf<S extends IdempotencyScope> = Extract<IdempotentResult, { readonly _tag: S["_tag"] }>

/** The result a reserve remembers: every store builds it here. */
export const payoutResult = (t: Transaction): PayoutResult => ({
  _tag: "Payout",
  transactionId: t.transactionId,
  amount: t.amount,
  currency: t.currency
})

/** The result a credit remembers: the account as the credit left it. */
export const creditResult = (a: Account): CreditResult => ({
  _tag: "Credit",
  userId: a.userId,
  currency: a.currency,
  available: a.available
})

/** The result a cancel remembers. */
export const cancelResult = (t: Transaction): CancelResult => ({ _tag: "Cancel", transactionId: t.transactionId })

/** Idempotency records are kept at least this long after their request was answered. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000
