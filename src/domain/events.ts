import { Schema } from "effect"
import { TransactionId, UserId } from "./ids.js"
import { Currency, Minor, toDecimalNumber } from "./money.js"
import { type Transaction, TransactionStatus } from "./transaction.js"

export const PayoutEventType = Schema.Literal(
  "PAYOUT_SCHEDULED",
  "PAYOUT_INITIATED",
  "PAYOUT_PROCESSING",
  "PAYOUT_COMPLETED",
  "PAYOUT_FAILED",
  "PAYOUT_CANCELED",
  "PAYOUT_RETURNED"
)
export type PayoutEventType = typeof PayoutEventType.Type

/** "A, B, … or Z": the event types, for messages. */
export const eventTypeList = PayoutEventType.literals.join(", ")

/** Internal event: amounts in minor units; the WebSocket edge formats decimals. */
export const PayoutEvent = Schema.Struct({
  eventId: Schema.String,
  /** The user's event count, from 1 with no gap: consumers drop a repeat by (userId, sequence). */
  sequence: Schema.Number,
  type: PayoutEventType,
  transactionId: TransactionId,
  userId: UserId,
  status: TransactionStatus,
  amount: Minor,
  currency: Currency,
  newBalance: Schema.optional(Minor),
  error: Schema.optional(Schema.String),
  timestamp: Schema.Number
})
export type PayoutEvent = typeof PayoutEvent.Type

const typeOf = {
  scheduled: "PAYOUT_SCHEDULED",
  initiated: "PAYOUT_INITIATED",
  processing: "PAYOUT_PROCESSING",
  completed: "PAYOUT_COMPLETED",
  failed: "PAYOUT_FAILED",
  canceled: "PAYOUT_CANCELED",
  returned: "PAYOUT_RETURNED"
} as const

/** `evt_<userId>_<sequence, 10 digits>`: sorts in the user's order and names its user. */
export const eventIdOf = (userId: UserId, sequence: number): string =>
  `evt_${userId}_${String(sequence).padStart(10, "0")}`

/** Reads an event id back: undefined when it is not one. */
export const parseEventId = (eventId: string): { readonly userId: string; readonly sequence: number } | undefined => {
  const match = /^evt_(.+)_(\d{10})$/.exec(eventId)
  if (!match || match[1] === undefined || match[2] === undefined) return undefined
  const sequence = Number(match[2])
  return sequence >= 1 ? { userId: match[1], sequence } : undefined
}

/**
 * The event that reports a transaction's new state, recorded by the store in the
 * step that wrote it: `sequence` is the user's next one, `newBalance` the account as written.
 */
export const eventFor = (t: Transaction, newBalance: Minor | undefined, sequence: number): PayoutEvent => ({
  eventId: eventIdOf(t.userId, sequence),
  sequence,
  type: typeOf[t._tag],
  transactionId: t.transactionId,
  userId: t.userId,
  status: t._tag,
  amount: t.amount,
  currency: t.currency,
  ...(newBalance === undefined ? {} : { newBalance }),
  ...(t._tag === "failed" ? { error: t.failureReason } : t._tag === "returned" ? { error: t.returnReason } : {}),
  timestamp: t.updatedAt
})

/** An event as clients see it (sockets, GET /api/events): decimal amounts, ISO timestamp. */
export const WirePayoutEvent = Schema.Struct({
  eventId: Schema.String,
  sequence: Schema.Int,
  type: PayoutEventType,
  transactionId: Schema.String,
  userId: Schema.String,
  status: TransactionStatus,
  amount: Schema.Number,
  currency: Currency,
  newBalance: Schema.optional(Schema.Number),
  error: Schema.optional(Schema.String),
  timestamp: Schema.String
}).annotations({ identifier: "PayoutEvent" })
export type WirePayoutEvent = typeof WirePayoutEvent.Type

export const toWire = (event: PayoutEvent): WirePayoutEvent => ({
  eventId: event.eventId,
  sequence: event.sequence,
  type: event.type,
  transactionId: event.transactionId,
  userId: event.userId,
  status: event.status,
  amount: toDecimalNumber(event.amount),
  currency: event.currency,
  ...(event.newBalance === undefined ? {} : { newBalance: toDecimalNumber(event.newBalance) }),
  ...(event.error === undefined ? {} : { error: event.error }),
  timestamp: new Date(event.timestamp).toISOString()
})
