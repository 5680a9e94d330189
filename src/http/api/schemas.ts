import { Schema } from "effect"
import {
  BatchId,
  Currency,
  PostingKind,
  says,
  TransactionId,
  TransactionStatus,
  UserId,
  UserStatus
} from "../../domain/index.js"

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

/** One account's buckets, as GET .../balance shows them (decimals), with what was paid out. */
export const AccountJson = Schema.Struct({
  currency: Currency,
  available: Decimal,
  held: Decimal,
  paidOut: Decimal
}).annotations({ identifier: "Account" })

export const AdminUserJson = Schema.Struct({
  ...UserJson.fields,
  createdAt: Timestamp,
  accounts: Schema.Array(AccountJson)
}).annotations({ identifier: "AdminUser" })

const exampleUser = {
  userId: UserId.make("user_001"),
  name: "Alice Johnson",
  email: "alice@example.com",
  currency: "USD" as const,
  status: "active" as const,
  createdAt: "2026-12-01T09:00:00.000Z",
  limits: { USD: { amount: 5000, count: 20 } },
  accounts: [{ currency: "USD" as const, available: 9899.5, held: 100.5, paidOut: 0 }]
}

export const UserList = Schema.Struct({
  success: Schema.Literal(true),
  count: Schema.Int,
  users: Schema.Array(AdminUserJson),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({
  identifier: "UserList",
  examples: [{ success: true, count: 1, users: [exampleUser], nextCursor: "eyJ1c2VySWQiOiJ1c2VyXzAwMSJ9" }]
})

export const UserDetail = Schema.Struct({
  success: Schema.Literal(true),
  user: AdminUserJson
}).annotations({ identifier: "UserDetail", examples: [{ success: true, user: exampleUser }] })

export const LedgerEntryJson = Schema.Struct({
  seq: Schema.Int.annotations({ description: "the posting's place in this account's ledger: 1, 2, 3... with no gaps" }),
  postingId: Schema.String,
  kind: PostingKind,
  amount: Decimal,
  currency: Currency,
  transactionId: Schema.NullOr(TransactionId),
  createdAt: Timestamp,
  balanceAfter: Schema.Struct({ available: Decimal, held: Decimal, paidOut: Decimal })
}).annotations({ identifier: "LedgerEntry" })

export const Ledger = Schema.Struct({
  success: Schema.Literal(true),
  userId: UserId,
  currency: Currency,
  count: Schema.Int,
  entries: Schema.Array(LedgerEntryJson),
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({
  identifier: "Ledger",
  examples: [
    {
      success: true,
      userId: UserId.make("user_001"),
      currency: "USD",
      count: 2,
      entries: [
        {
          seq: 1,
          postingId: "seed:FUND:user_001:USD",
          kind: "FUND",
          amount: 10000,
          currency: "USD",
          transactionId: null,
          createdAt: "2026-12-01T09:00:00.000Z",
          balanceAfter: { available: 10000, held: 0, paidOut: 0 }
        },
        {
          seq: 2,
          postingId: "TXN_M3K9Z1AB_4F1C0D2E9A7B3C11:RESERVE",
          kind: "RESERVE",
          amount: 100.5,
          currency: "USD",
          transactionId: TransactionId.make("TXN_M3K9Z1AB_4F1C0D2E9A7B3C11"),
          createdAt: "2026-12-01T09:05:00.000Z",
          balanceAfter: { available: 9899.5, held: 100.5, paidOut: 0 }
        }
      ],
      nextCursor: null
    }
  ]
})

/** One item of a batch, in the order sent: its payout's current status, or why it was refused. */
export const BatchItemJson = Schema.Struct({
  index: Schema.Int,
  status: Schema.Union(TransactionStatus, Schema.Literal("rejected")),
  userId: UserId,
  transactionId: Schema.optional(TransactionId),
  amount: Schema.optional(Decimal),
  currency: Schema.optional(Currency),
  code: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String)
}).annotations({ identifier: "BatchItem" })

export const BatchJson = Schema.Struct({
  success: Schema.Literal(true),
  batchId: BatchId,
  createdBy: UserId,
  atomic: Schema.Boolean,
  createdAt: Timestamp,
  itemCount: Schema.Int,
  items: Schema.Array(BatchItemJson)
}).annotations({
  identifier: "PayoutBatch",
  examples: [
    {
      success: true,
      batchId: BatchId.make("BAT_M3K9Z1AB_4F1C0D2E9A7B3C11"),
      createdBy: UserId.make("user_001"),
      atomic: false,
      createdAt: "2026-12-06T21:00:00.000Z",
      itemCount: 2,
      items: [
        {
          index: 0,
          status: "initiated",
          userId: UserId.make("user_001"),
          transactionId: TransactionId.make("TXN_M3K9Z1AB_4F1C0D2E9A7B3C12"),
          amount: 100.5,
          currency: "USD"
        },
        {
          index: 1,
          status: "rejected",
          userId: UserId.make("user_001"),
          code: "INSUFFICIENT_BALANCE",
          message: "Insufficient balance for this payout"
        }
      ]
    }
  ]
})
