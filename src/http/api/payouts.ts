import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import {
  BatchEnvelope,
  BatchId,
  Currency,
  MAX_BATCH_ITEMS,
  says,
  TransactionId,
  TransactionStatus,
  UserId
} from "../../domain/index.js"
import { Authentication, PayoutRateLimit } from "./auth.js"
import { PayoutBody } from "./bodies.js"
import { ApiErrors } from "./errors.js"
import {
  AuditTrail,
  Balance,
  BatchJson,
  History,
  Ledger,
  PageLimit,
  PayoutAccepted,
  TransactionFound
} from "./schemas.js"

export const TransactionPath = Schema.Struct({ transactionId: TransactionId })
export const UserPath = Schema.Struct({ userId: UserId.annotations({ examples: [UserId.make("user_001")] }) })

/** Read leniently by the framework and checked by the handler, in the order docs/api.md gives. */
export const IdempotencyHeaders = Schema.Struct({
  "idempotency-key": Schema.optional(Schema.String.annotations({ description: "1..255 printable ASCII characters" }))
})

/** `cursor=` of every paged list: the previous page's nextCursor, absent or empty for the first. */
export const CursorParam = Schema.optionalWith(
  Schema.String.annotations({ description: "nextCursor of the previous page", examples: [""] }),
  { exact: true }
)

export const HistoryParams = Schema.Struct({
  limit: PageLimit,
  status: Schema.optionalWith(
    TransactionStatus.annotations(says(`status must be one of ${TransactionStatus.literals.join(", ")}`)),
    { exact: true }
  ),
  cursor: CursorParam
})

export const LedgerParams = Schema.Struct({
  currency: Schema.optionalWith(
    Currency.annotations({
      ...says(`currency must be one of ${Currency.literals.join(", ")}`),
      description: "the account's currency; default: the user's own",
      examples: ["USD"]
    }),
    { exact: true }
  ),
  limit: PageLimit,
  cursor: CursorParam
})

/** As documented: the envelope, each item a POST /api/payout body (read and checked by the program). */
const BatchBody = Schema.Struct({
  items: Schema.Array(PayoutBody).pipe(Schema.minItems(1), Schema.maxItems(MAX_BATCH_ITEMS)),
  atomic: BatchEnvelope.fields.atomic
}).annotations({
  identifier: "PayoutBatchRequest",
  examples: [
    {
      atomic: true,
      items: [
        { userId: UserId.make("user_001"), amount: "100.50", currency: "USD", description: "March rent" },
        { userId: UserId.make("user_001"), amount: 25, scheduledFor: Date.parse("2026-12-24T09:00:00Z") }
      ]
    }
  ]
})

export const BatchPath = Schema.Struct({ batchId: BatchId })

export class PayoutsGroup extends HttpApiGroup.make("payouts")
  .add(
    HttpApiEndpoint.post("create", "/api/payout")
      .setPayload(PayoutBody)
      .setHeaders(IdempotencyHeaders)
      .addSuccess(PayoutAccepted, { status: 202 })
      .addError(ApiErrors.InsufficientBalance)
      .addError(ApiErrors.LimitExceeded)
      .addError(ApiErrors.VelocityLimited)
      .addError(ApiErrors.Forbidden)
      .addError(ApiErrors.UserNotActive)
      .addError(ApiErrors.UserNotFound)
      .addError(ApiErrors.ConcurrentRequest)
      .addError(ApiErrors.IdempotencyKeyInUse)
      .addError(ApiErrors.IdempotencyKeyReused)
      .addError(ApiErrors.PayloadTooLarge)
      .middleware(PayoutRateLimit)
      .annotate(OpenApi.Summary, "Request a payout: the amount is held at once and settled asynchronously")
  )
  .add(
    HttpApiEndpoint.post("createBatch", "/api/payouts/batch")
      .setPayload(BatchBody)
      .setHeaders(IdempotencyHeaders)
      .addSuccess(BatchJson, { status: 202 })
      .addError(ApiErrors.BatchRejected)
      .addError(ApiErrors.Forbidden)
      .addError(ApiErrors.ConcurrentRequest)
      .addError(ApiErrors.IdempotencyKeyInUse)
      .addError(ApiErrors.IdempotencyKeyReused)
      .addError(ApiErrors.PayloadTooLarge)
      .middleware(PayoutRateLimit)
      .annotate(
        OpenApi.Summary,
        `Up to ${MAX_BATCH_ITEMS} payouts in one request: atomic (all held or none, 422 BATCH_REJECTED) or each on its own`
      )
  )
  .add(
    HttpApiEndpoint.get("getBatch", "/api/payouts/batch/:batchId")
      .setPath(BatchPath)
      .addSuccess(BatchJson)
      .addError(ApiErrors.BatchNotFound)
      .annotate(OpenApi.Summary, "A batch and the current status of each of its payouts (its creator or an admin)")
  )
  .add(
    HttpApiEndpoint.get("get", "/api/payout/:transactionId")
      .setPath(TransactionPath)
      .addSuccess(TransactionFound)
      .addError(ApiErrors.TransactionNotFound)
      .annotate(OpenApi.Summary, "One of your payouts")
  )
  .add(
    HttpApiEndpoint.post("cancel", "/api/payout/:transactionId/cancel")
      .setPath(TransactionPath)
      .setHeaders(IdempotencyHeaders)
      .addSuccess(TransactionFound)
      .addError(ApiErrors.TransactionNotFound)
      .addError(ApiErrors.PayoutNotCancelable)
      .addError(ApiErrors.IdempotencyKeyInUse)
      .addError(ApiErrors.IdempotencyKeyReused)
      .annotate(
        OpenApi.Summary,
        "Cancel a payout no worker has claimed yet: the held amount is available again (repeating it changes nothing; an Idempotency-Key names one cancel)"
      )
  )
  .add(
    HttpApiEndpoint.get("balance", "/api/payout/user/:userId/balance")
      .setPath(UserPath)
      .setUrlParams(Schema.Struct({ currency: Schema.optional(Currency) }))
      .addSuccess(Balance)
      .addError(ApiErrors.Forbidden)
      .addError(ApiErrors.UserNotFound)
      .annotate(OpenApi.Summary, "Available and held balances")
  )
  .add(
    HttpApiEndpoint.get("history", "/api/payout/user/:userId/history")
      .setPath(UserPath)
      .setUrlParams(HistoryParams)
      .addSuccess(History)
      .addError(ApiErrors.Forbidden)
      .addError(ApiErrors.UserNotFound)
      .annotate(OpenApi.Summary, "Payouts, newest first, a page at a time")
  )
  .add(
    HttpApiEndpoint.get("ledger", "/api/payout/user/:userId/ledger")
      .setPath(UserPath)
      .setUrlParams(LedgerParams)
      .addSuccess(Ledger)
      .addError(ApiErrors.Forbidden)
      .addError(ApiErrors.UserNotFound)
      .annotate(
        OpenApi.Summary,
        "An account's ledger postings, oldest first, each with the balance it left, a page at a time"
      )
  )
  .add(
    HttpApiEndpoint.get("audit", "/api/payout/:transactionId/audit")
      .setPath(TransactionPath)
      .addSuccess(AuditTrail)
      .addError(ApiErrors.TransactionNotFound)
      .annotate(OpenApi.Summary, "Every state change and money movement of a payout, oldest first")
  )
  // on each endpoint, added last so that it runs first: before PayoutRateLimit
  // the per-IP limit (everything but health, metrics and the docs)
  .addError(ApiErrors.RateLimitExceeded)
  .middlewareEndpoints(Authentication)
  .annotate(OpenApi.Title, "Payouts") {}
