import { Effect, ParseResult, Schema } from "effect"
import { Long } from "mongodb"
import {
  Account,
  AuditEntry,
  BatchId,
  Canceled,
  Completed,
  Currency,
  DailyUsage,
  EndpointStatus,
  EventSelection,
  Failed,
  Initiated,
  LedgerLine,
  Minor,
  PayoutBatch,
  PayoutEvent,
  Posting,
  Processing,
  Returned,
  Scheduled,
  TransactionId,
  type TransactionStatus,
  User,
  UserId,
  WebhookEndpointId
} from "../../domain/index.js"

/**
 * The stored shape of every document, decoded at the repository boundary. Money
 * is stored as int64 (`Long`); the driver hands small ones back as numbers.
 */
const int64 = <A, R>(to: Schema.Schema<A, number, R>) =>
  Schema.transformOrFail(Schema.Union(Schema.instanceOf(Long), Schema.Number), to, {
    strict: true,
    decode: (v, _, ast) =>
      typeof v === "number"
        ? ParseResult.succeed(v)
        : v.lessThanOrEqual(Number.MAX_SAFE_INTEGER) && v.greaterThanOrEqual(Number.MIN_SAFE_INTEGER)
          ? ParseResult.succeed(v.toNumber())
          : ParseResult.fail(new ParseResult.Type(ast, v, "int64 outside the safe integer range")),
    encode: (n) => ParseResult.succeed(Long.fromNumber(n))
  })

export const StoredMinor = int64(Minor)

export const UserDoc = User

export const AccountDoc = Schema.Struct({
  ...Account.fields,
  available: StoredMinor,
  held: StoredMinor,
  paidOut: StoredMinor,
  funded: StoredMinor,
  daily: Schema.optional(Schema.Struct({ ...DailyUsage.fields, amount: StoredMinor }))
})

const status = <S extends TransactionStatus>(s: S) =>
  Schema.propertySignature(Schema.Literal(s)).pipe(Schema.fromKey("status"))

/** A transaction keeps its state in `status` (indexed), which is the domain's `_tag`. */
export const TransactionDoc = Schema.Union(
  Schema.Struct({ ...Scheduled.fields, _tag: status("scheduled"), amount: StoredMinor }),
  Schema.Struct({ ...Initiated.fields, _tag: status("initiated"), amount: StoredMinor }),
  Schema.Struct({ ...Processing.fields, _tag: status("processing"), amount: StoredMinor }),
  Schema.Struct({ ...Completed.fields, _tag: status("completed"), amount: StoredMinor }),
  Schema.Struct({ ...Failed.fields, _tag: status("failed"), amount: StoredMinor }),
  Schema.Struct({ ...Canceled.fields, _tag: status("canceled"), amount: StoredMinor }),
  Schema.Struct({ ...Returned.fields, _tag: status("returned"), amount: StoredMinor })
)

const BalanceAfterDoc = Schema.Struct({ available: StoredMinor, held: StoredMinor, paidOut: StoredMinor })

/** `seq` and `balanceAfter` are written with every posting since the ledger read; older postings lack them. */
export const PostingDoc = Schema.Struct({
  ...Posting.fields,
  lines: Schema.Array(Schema.Struct({ ...LedgerLine.fields, amount: int64(Schema.Int) })),
  seq: Schema.optional(Schema.Int),
  balanceAfter: Schema.optional(BalanceAfterDoc)
})

/** A posting with its place in the account's ledger and the balance it left. */
export const LedgerEntryDoc = Schema.Struct({
  ...PostingDoc.fields,
  seq: Schema.Int,
  balanceAfter: BalanceAfterDoc
})

export const AuditDoc = AuditEntry

/** A recorded event: the event itself, when, and which sinks have it. */
export const EventDoc = Schema.Struct({
  ...PayoutEvent.fields,
  amount: StoredMinor,
  newBalance: Schema.optional(StoredMinor),
  recordedAt: Schema.Number,
  delivered: Schema.Array(Schema.Literal("bus", "webhooks"))
})

export const IdempotentResultDoc = Schema.Union(
  Schema.TaggedStruct("Payout", { transactionId: TransactionId, amount: StoredMinor, currency: Currency }),
  Schema.TaggedStruct("Credit", { userId: UserId, currency: Currency, available: StoredMinor }),
  Schema.TaggedStruct("Cancel", { transactionId: TransactionId }),
  Schema.TaggedStruct("Batch", { batchId: BatchId })
)

/** A payout batch's record; `id` is its business key (`_id` is the driver's ObjectId). */
export const BatchDoc = Schema.Struct({
  ...PayoutBatch.fields,
  batchId: Schema.propertySignature(BatchId).pipe(Schema.fromKey("id"))
})

const IdempotencyBase = {
  scope: Schema.String,
  key: Schema.String,
  fingerprint: Schema.String,
  /** A Date so that the TTL index can drop the record. */
  expiresAt: Schema.DateFromSelf
}

export const PendingDoc = Schema.Struct({
  ...IdempotencyBase,
  state: Schema.Literal("pending"),
  token: Schema.String,
  leaseUntil: Schema.Number
})

export const CompletedDoc = Schema.Struct({
  ...IdempotencyBase,
  state: Schema.Literal("completed"),
  result: IdempotentResultDoc
})

export const IdempotencyDoc = Schema.Union(PendingDoc, CompletedDoc)
export type IdempotencyDoc = typeof IdempotencyDoc.Type

/** A webhook endpoint as the domain has it; its `id` is the business key (`_id` is the driver's ObjectId). */
export const WebhookEndpointDoc = Schema.Struct({
  id: WebhookEndpointId,
  userId: UserId,
  url: Schema.String,
  events: EventSelection,
  description: Schema.optional(Schema.String),
  status: EndpointStatus,
  disabledReason: Schema.optional(Schema.String),
  secret: Schema.String,
  retiredSecrets: Schema.optionalWith(
    Schema.Array(Schema.Struct({ secret: Schema.String, expiresAt: Schema.Number })),
    {
      default: () => []
    }
  ),
  createdAt: Schema.Number,
  updatedAt: Schema.Number
})

export const DeliveryStateDoc = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("pending"), nextAttemptAt: Schema.Number }),
  Schema.Struct({ _tag: Schema.Literal("delivered"), deliveredAt: Schema.Number }),
  Schema.Struct({ _tag: Schema.Literal("failed"), failedAt: Schema.Number, reason: Schema.String })
)

export const DeliveryAttemptDoc = Schema.Struct({
  attempt: Schema.Number,
  at: Schema.Number,
  durationMs: Schema.Number,
  httpStatus: Schema.optional(Schema.Number),
  error: Schema.optional(Schema.String),
  nextAttemptAt: Schema.optional(Schema.Number)
})

/** One event for one endpoint: `state` and `lease` nested as in the domain, the event's money as int64. */
export const WebhookDeliveryDoc = Schema.Struct({
  id: Schema.String,
  endpointId: WebhookEndpointId,
  userId: UserId,
  event: Schema.Struct({ ...PayoutEvent.fields, amount: StoredMinor, newBalance: Schema.optional(StoredMinor) }),
  createdAt: Schema.Number,
  state: DeliveryStateDoc,
  attempts: Schema.Array(DeliveryAttemptDoc),
  lease: Schema.optional(Schema.Struct({ owner: Schema.String, until: Schema.Number })),
  retryRequested: Schema.optional(Schema.Literal(true))
})

/** A stored document that does not decode is a bug or a corrupt database: a defect. */
export const decode =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (doc: unknown): Effect.Effect<A> =>
    Effect.orDie(Schema.decodeUnknown(schema)(doc))

export const encode =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (value: A): Effect.Effect<I> =>
    Effect.orDie(Schema.encode(schema)(value))
