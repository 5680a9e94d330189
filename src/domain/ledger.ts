import { Schema } from "effect"
import { TransactionId, UserId } from "./ids.js"
import { Currency, Minor } from "./money.js"

/**
 * The four buckets of an account. `funding` mirrors money that came in (it holds
 * minus what was funded), so every account's buckets sum to zero at all times.
 */
export const Bucket = Schema.Literal("funding", "available", "held", "paidOut")
export type Bucket = typeof Bucket.Type

export const PostingKind = Schema.Literal("FUND", "RESERVE", "SETTLE", "RELEASE", "RETURN")
export type PostingKind = typeof PostingKind.Type

/** The buckets each posting kind moves money between: debit → credit. */
export const postingLegs: { readonly [K in PostingKind]: readonly [from: Bucket, to: Bucket] } = {
  FUND: ["funding", "available"],
  RESERVE: ["available", "held"],
  SETTLE: ["held", "paidOut"],
  RELEASE: ["held", "available"],
  /** A paid-out payout the bank sent back. */
  RETURN: ["paidOut", "available"]
}

export const LedgerLine = Schema.Struct({ bucket: Bucket, amount: Schema.Int })
export type LedgerLine = typeof LedgerLine.Type

/** One balanced double-entry posting: its lines sum to zero. */
export const Posting = Schema.Struct({
  postingId: Schema.String,
  kind: PostingKind,
  userId: UserId,
  currency: Currency,
  transactionId: Schema.NullOr(TransactionId),
  lines: Schema.Array(LedgerLine),
  at: Schema.Number
})
export type Posting = typeof Posting.Type

export const makePosting = (p: {
  readonly kind: PostingKind
  readonly userId: UserId
  readonly currency: Currency
  readonly transactionId: TransactionId | null
  readonly amount: Minor
  readonly at: number
  readonly postingId: string
}): Posting => {
  const [from, to] = postingLegs[p.kind]
  return {
    postingId: p.postingId,
    kind: p.kind,
    userId: p.userId,
    currency: p.currency,
    transactionId: p.transactionId,
    lines: [
      { bucket: from, amount: -p.amount },
      { bucket: to, amount: p.amount }
    ],
    at: p.at
  }
}

/** An account's available, held and paid-out buckets right after a posting. */
export const BalanceAfter = Schema.Struct({ available: Minor, held: Minor, paidOut: Minor })
export type BalanceAfter = typeof BalanceAfter.Type

/**
 * A posting as an account's statement line: `seq` is its place in the account's
 * ledger (1, 2, 3... with no gaps) and `balanceAfter` the buckets it left, both
 * written with the posting in the same atomic step.
 */
export const LedgerEntry = Schema.Struct({ ...Posting.fields, seq: Schema.Int, balanceAfter: BalanceAfter })
export type LedgerEntry = typeof LedgerEntry.Type

export const ledgerEntry = (posting: Posting, seq: number, after: BalanceAfter): LedgerEntry => ({
  ...posting,
  seq,
  balanceAfter: { available: after.available, held: after.held, paidOut: after.paidOut }
})

export const isBalanced = (p: Posting): boolean => p.lines.reduce((s, l) => s + l.amount, 0) === 0

export const AuditAction = Schema.Literal(
  "USER_CREATED",
  "USER_STATUS_CHANGED",
  "USER_LIMITS_CHANGED",
  "ACCOUNT_CREDITED",
  "PAYOUT_SCHEDULED",
  "PAYOUT_INITIATED",
  "PAYOUT_PROCESSING",
  "PAYOUT_COMPLETED",
  "PAYOUT_FAILED",
  "PAYOUT_CANCELED",
  "PAYOUT_RETURNED"
)
export type AuditAction = typeof AuditAction.Type

export const AuditEntry = Schema.Struct({
  userId: UserId,
  transactionId: Schema.NullOr(TransactionId),
  action: AuditAction,
  at: Schema.Number,
  details: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})
export type AuditEntry = typeof AuditEntry.Type
