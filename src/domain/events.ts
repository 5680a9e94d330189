import { Schema } from "effect"
import { TransactionId, UserId } from "./ids.js"
import { Currency, Minor } from "./money.js"
import type { Transaction } from "./transaction.js"

export const PayoutEventType = Schema.Literal(
  "PAYOUT_INITIATED",
  "PAYOUT_PROCESSING",
  "PAYOUT_COMPLETED",
  "PAYOUT_FAILED"
)
export type PayoutEventType = typeof PayoutEventType.Type

/** Internal event: amounts in minor units; the WebSocket edge formats decimals. */
export const PayoutEvent = Schema.Struct({
  eventId: Schema.String,
  type: PayoutEventType,
  transactionId: TransactionId,
  userId: UserId,
  status: Schema.Literal("initiated", "processing", "completed", "failed"),
  amount: Minor,
  currency: Currency,
  newBalance: Schema.optional(Minor),
  error: Schema.optional(Schema.String),
  timestamp: Schema.Number
})
export type PayoutEvent = typeof PayoutEvent.Type

const typeOf = {
  initiated: "PAYOUT_INITIATED",
  processing: "PAYOUT_PROCESSING",
  completed: "PAYOUT_COMPLETED",
  failed: "PAYOUT_FAILED"
} as const

/**
 * The event that announces a transaction's current state. Its id is derived from
 * (transaction, status) so a re-announced state after a crash is recognisable.
 */
export const eventFor = (t: Transaction, newBalance: Minor | undefined): PayoutEvent => ({
  eventId: `${t.transactionId}:${t._tag}`,
  type: typeOf[t._tag],
  transactionId: t.transactionId,
  userId: t.userId,
  status: t._tag,
  amount: t.amount,
  currency: t.currency,
  ...(newBalance === undefined ? {} : { newBalance }),
  ...(t._tag === "failed" ? { error: t.failureReason } : {}),
  timestamp: t.updatedAt
})
