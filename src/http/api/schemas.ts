import { Schema } from "effect"
import { Currency, says, TransactionId, TransactionStatus, UserId, UserStatus } from "../../domain/index.js"

/** Money as clients see it: a JSON number with at most 2 decimal places. */
const Decimal = Schema.Number.annotations({ description: "decimal amount, at most 2 places", examples: [100.5] })
const Timestamp = Schema.String.annotations({ description: "ISO 8601 date-time" })

/** `limit=` of every paged list: 1..100 (each list has its own default). */
export const PageLimit = Schema.optionalWith(
  Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 100)).annotations(
    says("limit must be an integer from 1 to 100")
  ),
  { exact: true }
)

export const PayoutAccepted = Schema.Struct({
  success: Schema.Literal(true),
  transactionId: TransactionId,
  status: Schema.Literal("initiated", "scheduled"),
  amount: Decimal,
  currency: Currency,
  scheduledFor: Schema.optional(Timestamp),
  message: Schema.String
}).annotations({ identifier: "PayoutAccepted" })

export const ProcessingDetails = Schema.Struct({
  initiatedAt: Timestamp,
  scheduledFor: Schema.optional(Timestamp),
  processingStartedAt: Schema.optional(Timestamp),
  completedAt: Schema.optional(Timestamp),
  failedAt: Schema.optional(Timestamp),
  canceledAt: Schema.optional(Timestamp),
  returnedAt: Schema.optional(Timestamp),
  processingDurationMs: Schema.optional(Schema.Number),
  attempts: Schema.Int
})

export const TransactionJson = Schema.Struct({
  transactionId: TransactionId,
  userId: UserId,
  amount: Decimal,
  currency: Currency,
  status: TransactionStatus,
  description: Schema.NullOr(Schema.String),
  metadata: Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number, Schema.Boolean) }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  failureReason: Schema.optional(Schema.String),
  returnReason: Schema.optional(Schema.String),
  processingDetails: ProcessingDetails
}).annotations({ identifier: "Transaction" })
export type TransactionJson = typeof TransactionJson.Type

export const TransactionFound = Schema.Struct({ success: Schema.Literal(true), transaction: TransactionJson })

const CurrencyBalance = Schema.Struct({ currency: Currency, available: Decimal, held: Decimal })

export const Balance = Schema.Struct({
  success: Schema.Literal(true),
  userId: UserId,
  currency: Currency,
  balance: Decimal,
  available: Decimal,
  held: Decimal,
  balances: Schema.Array(CurrencyBalance)
}).annotations({ identifier: "Balance" })

export const History = Schema.Struct({
  success: Schema.Literal(true),
  count: Schema.Int,
  transactions: Schema.Array(TransactionJson),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "History" })

export const AuditTrail = Schema.Struct({
  success: Schema.Literal(true),
  transactionId: TransactionId,
  entries: Schema.Array(
    Schema.Struct({
      action: Schema.String,
      at: Timestamp,
      details: Schema.Record({ key: Schema.String, value: Schema.Unknown })
    })
  )
}).annotations({ identifier: "AuditTrail" })

export const UserJson = Schema.Struct({
  userId: UserId,
  name: Schema.String,
  email: Schema.NullOr(Schema.String),
  currency: Currency,
  status: UserStatus,
  limits: Schema.Record({
    key: Schema.String,
    value: Schema.Struct({ amount: Schema.optional(Decimal), count: Schema.optional(Schema.Int) })
  }).annotations({ description: "An admin's overrides of the daily payout limits, per currency" })
}).annotations({ identifier: "User" })

export const UserResponse = Schema.Struct({ success: Schema.Literal(true), user: UserJson })

export const Credited = Schema.Struct({
  success: Schema.Literal(true),
  userId: UserId,
  currency: Currency,
  available: Decimal
}).annotations({ identifier: "Credited" })

export const Reconciliation = Schema.Struct({
  success: Schema.Literal(true),
  ok: Schema.Boolean,
  accounts: Schema.Int,
  differences: Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}).annotations({ identifier: "Reconciliation" })
