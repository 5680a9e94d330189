import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { formatMinor } from "./money.js"

/*
 * Errors a client can be answered with: each class carries its HTTP status (an
 * annotation: the Effect examples keep it on the domain error too, so one class
 * is the whole truth), its stable wire `code` and its client-facing `message`.
 * Fields that only the server knows (ids, amounts, the dependency) are optional:
 * a client decoding the answer has the wire body only.
 */

export const FieldIssue = Schema.Struct({ field: Schema.String, message: Schema.String }).annotations({
  identifier: "FieldIssue"
})
export type FieldIssue = typeof FieldIssue.Type

export class ValidationError extends Schema.TaggedError<ValidationError>()(
  "ValidationError",
  { message: Schema.String, details: Schema.Array(FieldIssue) },
  HttpApiSchema.annotations({ status: 400 })
) {
  static readonly code = "VALIDATION_ERROR"
}

export class InsufficientBalance extends Schema.TaggedError<InsufficientBalance>()(
  "InsufficientBalance",
  { available: Schema.optional(Schema.Number), requested: Schema.optional(Schema.Number) },
  HttpApiSchema.annotations({ status: 400 })
) {
  static readonly code = "INSUFFICIENT_BALANCE"
  override get message() {
    return "Insufficient balance for this payout"
  }
}

/** The identity may not act on this resource. */
export class Forbidden extends Schema.TaggedError<Forbidden>()(
  "Forbidden",
  { message: Schema.optionalWith(Schema.String, { default: () => "You may not act on this resource" }) },
  HttpApiSchema.annotations({ status: 403 })
) {
  static readonly code = "FORBIDDEN"
}

export class UserNotActive extends Schema.TaggedError<UserNotActive>()(
  "UserNotActive",
  { userId: Schema.optional(Schema.String), status: Schema.String },
  HttpApiSchema.annotations({ status: 403 })
) {
  static readonly code = "USER_NOT_ACTIVE"
  static readonly prefix = "User account is "
  override get message() {
    return `${UserNotActive.prefix}${this.status}`
  }
}

export class UserNotFound extends Schema.TaggedError<UserNotFound>()(
  "UserNotFound",
  { userId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly code = "USER_NOT_FOUND"
  override get message() {
    return "User not found"
  }
}

export class TransactionNotFound extends Schema.TaggedError<TransactionNotFound>()(
  "TransactionNotFound",
  { transactionId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly code = "TRANSACTION_NOT_FOUND"
  override get message() {
    return "Transaction not found"
  }
}

export class UserExists extends Schema.TaggedError<UserExists>()(
  "UserExists",
  { userId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 409 })
) {
  static readonly code = "USER_EXISTS"
  override get message() {
    return "A user with this userId already exists"
  }
}

/** The per-user lock stayed busy through all its retries. */
export class ConcurrentRequest extends Schema.TaggedError<ConcurrentRequest>()(
  "ConcurrentRequest",
  { userId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 409 })
) {
  static readonly code = "CONCURRENT_REQUEST"
  override get message() {
    return "Another request for this user is in progress; retry shortly"
  }
}

/** A request with the same Idempotency-Key has not been answered yet. */
export class IdempotencyKeyInUse extends Schema.TaggedError<IdempotencyKeyInUse>()(
  "IdempotencyKeyInUse",
  { key: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 409 })
) {
  static readonly code = "IDEMPOTENCY_KEY_IN_USE"
  override get message() {
    return "A request with this Idempotency-Key is still in progress"
  }
}

/** Same Idempotency-Key, different body. */
export class IdempotencyKeyReused extends Schema.TaggedError<IdempotencyKeyReused>()(
  "IdempotencyKeyReused",
  { key: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 422 })
) {
  static readonly code = "IDEMPOTENCY_KEY_REUSED"
  override get message() {
    return "This Idempotency-Key was used with a different request body"
  }
}

/** A dependency did not answer; raised before any money moved. */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()(
  "ServiceUnavailable",
  {
    /** For logs and start-up errors; never sent to clients (a decoded answer says "unknown"). */
    dependency: Schema.String,
    /** Where it was tried (credentials masked), for logs and start-up errors. */
    at: Schema.optional(Schema.String),
    /** What the driver said. */
    reason: Schema.optional(Schema.String)
  },
  HttpApiSchema.annotations({ status: 503 })
) {
  static readonly code = "SERVICE_UNAVAILABLE"
  override get message() {
    return "Service temporarily unavailable; no money has moved"
  }
}

export const DailyLimitInfo = Schema.Struct({
  kind: Schema.Literal("amount", "count"),
  currency: Schema.String,
  max: Schema.Number,
  used: Schema.Number,
  remaining: Schema.Number
}).annotations({ identifier: "DailyLimitInfo" })
export type DailyLimitInfo = typeof DailyLimitInfo.Type

/** A payout that would take the user past a daily limit of its currency; nothing moved. */
export class LimitExceeded extends Schema.TaggedError<LimitExceeded>()(
  "LimitExceeded",
  {
    kind: Schema.Literal("amount", "count"),
    currency: Schema.String,
    /** Minor units for `amount`, payouts for `count`. */
    max: Schema.Number,
    used: Schema.Number,
    remaining: Schema.Number
  },
  HttpApiSchema.annotations({ status: 400 })
) {
  static readonly code = "LIMIT_EXCEEDED"
  /** The wire's `dailyLimit`: amounts as decimals, as everywhere at the edge. */
  get dailyLimit(): DailyLimitInfo {
    const shown = (n: number) => (this.kind === "amount" ? Number(formatMinor(n)) : n)
    return {
      kind: this.kind,
      currency: this.currency,
      max: shown(this.max),
      used: shown(this.used),
      remaining: shown(this.remaining)
    }
  }
  override get message() {
    return this.kind === "amount"
      ? `Daily payout amount limit of ${formatMinor(this.max)} ${this.currency} reached: ${formatMinor(this.remaining)} left today (UTC)`
      : `Daily payout count limit of ${this.max} ${this.currency} payouts reached: ${this.remaining} left today (UTC)`
  }
}

/** More payouts for one user in a short window than VELOCITY_MAX_PAYOUTS allows; logged for review. */
export class VelocityLimited extends Schema.TaggedError<VelocityLimited>()(
  "VelocityLimited",
  { limit: Schema.optional(Schema.Number), resetMs: Schema.optional(Schema.Number) },
  HttpApiSchema.annotations({ status: 429 })
) {
  static readonly code = "VELOCITY_LIMIT"
  override get message() {
    return "Too many payouts for this account in a short time; try again later"
  }
}

export type IntakeError =
  | LimitExceeded
  | VelocityLimited
  | ValidationError
  | UserNotFound
  | UserNotActive
  | InsufficientBalance
  | ConcurrentRequest
  | IdempotencyKeyInUse
  | IdempotencyKeyReused
  | ServiceUnavailable

export class WebhookEndpointNotFound extends Schema.TaggedError<WebhookEndpointNotFound>()(
  "WebhookEndpointNotFound",
  { endpointId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly code = "WEBHOOK_NOT_FOUND"
  override get message() {
    return "Webhook endpoint not found"
  }
}

export class WebhookDeliveryNotFound extends Schema.TaggedError<WebhookDeliveryNotFound>()(
  "WebhookDeliveryNotFound",
  { eventId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly code = "DELIVERY_NOT_FOUND"
  override get message() {
    return "No delivery of this event to this endpoint"
  }
}

/** A user has WEBHOOK_MAX_ENDPOINTS_PER_USER endpoints already. */
export class WebhookLimitReached extends Schema.TaggedError<WebhookLimitReached>()(
  "WebhookLimitReached",
  { limit: Schema.Number },
  HttpApiSchema.annotations({ status: 409 })
) {
  static readonly code = "WEBHOOK_LIMIT_REACHED"
  override get message() {
    return `At most ${this.limit} webhook endpoints per user: delete one first`
  }
}

/** A worker claimed the payout already (or it is final): it can no longer be canceled. */
export class PayoutNotCancelable extends Schema.TaggedError<PayoutNotCancelable>()(
  "PayoutNotCancelable",
  { status: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {
  static readonly code = "PAYOUT_NOT_CANCELABLE"
  static readonly prefix = "Only a payout no worker has claimed can be canceled; this one is "
  override get message() {
    return `${PayoutNotCancelable.prefix}${this.status}`
  }
}

/** Only a completed payout can come back from the bank, once. */
export class PayoutNotReturnable extends Schema.TaggedError<PayoutNotReturnable>()(
  "PayoutNotReturnable",
  { status: Schema.String },
  HttpApiSchema.annotations({ status: 409 })
) {
  static readonly code = "PAYOUT_NOT_RETURNABLE"
  static readonly prefix = "Only a completed payout can be returned; this one is "
  override get message() {
    return `${PayoutNotReturnable.prefix}${this.status}`
  }
}
