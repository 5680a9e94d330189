import { HttpApiSchema } from "@effect/platform"
import { Option, Schema } from "effect"
import * as Domain from "../../domain/index.js"

/** Request bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 16 * 1024

/** Bearer token missing, malformed, expired or wrongly signed. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 401 })
) {
  static readonly code = "UNAUTHORIZED"
}

/** No route answers this path. */
export class RouteNotFound extends Schema.TaggedError<RouteNotFound>()(
  "RouteNotFound",
  { path: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly code = "NOT_FOUND"
  override get message() {
    return "Route not found"
  }
}

export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  {},
  HttpApiSchema.annotations({ status: 413 })
) {
  static readonly code = "PAYLOAD_TOO_LARGE"
  override get message() {
    return `Request body must be at most ${MAX_BODY_BYTES} bytes`
  }
}

/** `limit` and `resetMs` become RateLimit-* and Retry-After headers; a client reads them there. */
const Window = { limit: Schema.optional(Schema.Number), resetMs: Schema.optional(Schema.Number) }

/** The per-IP limit. */
export class RateLimitExceeded extends Schema.TaggedError<RateLimitExceeded>()(
  "RateLimitExceeded",
  Window,
  HttpApiSchema.annotations({ status: 429 })
) {
  static readonly code = "RATE_LIMIT_EXCEEDED"
  override get message() {
    return "Too many requests, please try again later"
  }
}

/** The per-user limit of POST /api/payout. */
export class UserRateLimitExceeded extends Schema.TaggedError<UserRateLimitExceeded>()(
  "UserRateLimitExceeded",
  Window,
  HttpApiSchema.annotations({ status: 429 })
) {
  static readonly code = "USER_RATE_LIMIT_EXCEEDED"
  override get message() {
    return "Too many payout requests for this user"
  }
}

/** A bug: logged, never described. */
export class InternalError extends Schema.TaggedError<InternalError>()(
  "InternalError",
  {},
  HttpApiSchema.annotations({ status: 500 })
) {
  static readonly code = "INTERNAL_ERROR"
  override get message() {
    return "Internal server error"
  }
}

/** Every error on the wire: no `_tag`, no stack, no driver text. */
const ErrorBody = <Code extends string>(code: Code) =>
  Schema.Struct({
    success: Schema.Literal(false),
    error: Schema.String,
    code: Schema.Literal(code),
    details: Schema.optional(Schema.Array(Domain.FieldIssue)),
    path: Schema.optional(Schema.String)
  })

export type ErrorBody = Schema.Schema.Type<ReturnType<typeof ErrorBody<string>>>

interface ErrorClass<Self, Code extends string> {
  new (...args: never): Self
  readonly code: Code
  readonly ast: Schema.Schema.Any["ast"]
}

type WireError = {
  readonly message: string
  readonly details?: ReadonlyArray<Domain.FieldIssue>
  readonly path?: string
}

/**
 * The one wire form of an error class: `{success: false, error, code, details?, path?}`
 * with the class's status, decoded back into the class by clients (`fromWire`). Used
 * by every `.addError` and by the edge's renderer alike.
 */
const wire = <Self extends WireError, Code extends string>(
  cls: ErrorClass<Self, Code>,
  fromWire: (body: Schema.Schema.Type<ReturnType<typeof ErrorBody<Code>>>) => Self
) =>
  Schema.transform(
    ErrorBody(cls.code),
    Schema.declare((u: unknown): u is Self => u instanceof cls, { identifier: cls.code }),
    {
      strict: true,
      decode: fromWire,
      encode: (e) => ({
        success: false as const,
        error: e.message,
        code: cls.code,
        ...(e.details === undefined ? {} : { details: e.details }),
        ...(e.path === undefined ? {} : { path: e.path })
      })
    }
  ).annotations({
    ...HttpApiSchema.annotations({ status: HttpApiSchema.getStatusErrorAST(cls.ast) }),
    identifier: cls.code
  })

/** LIMIT_EXCEEDED's wire form: the common one plus `dailyLimit`, which limit and what is left of it today. */
const limitExceeded = Schema.transform(
  Schema.Struct({
    success: Schema.Literal(false),
    error: Schema.String,
    code: Schema.Literal("LIMIT_EXCEEDED"),
    dailyLimit: Domain.DailyLimitInfo
  }),
  Schema.declare((u: unknown): u is Domain.LimitExceeded => u instanceof Domain.LimitExceeded, {
    identifier: Domain.LimitExceeded.code
  }),
  {
    strict: true,
    decode: ({ dailyLimit: l }) => {
      const minor = (n: number) => (l.kind === "amount" ? Math.round(n * 100) : n)
      return new Domain.LimitExceeded({
        kind: l.kind,
        currency: l.currency,
        max: minor(l.max),
        used: minor(l.used),
        remaining: minor(l.remaining)
      })
    },
    encode: (e) => ({
      success: false as const,
      error: e.message,
      code: "LIMIT_EXCEEDED" as const,
      dailyLimit: e.dailyLimit
    })
  }
).annotations({
  ...HttpApiSchema.annotations({ status: HttpApiSchema.getStatusErrorAST(Domain.LimitExceeded.ast) }),
  identifier: Domain.LimitExceeded.code
})

/** BATCH_REJECTED carries every refused item: `{success: false, error, code, items: [{index, status, code, message}]}`. */
const batchRejected = Schema.transform(
  Schema.Struct({
    success: Schema.Literal(false),
    error: Schema.String,
    code: Schema.Literal(Domain.BatchRejected.code),
    items: Schema.Array(
      Schema.Struct({
        index: Schema.Int,
        status: Schema.Literal("rejected"),
        code: Schema.String,
        message: Schema.String
      })
    )
  }),
  Schema.declare((u: unknown): u is Domain.BatchRejected => u instanceof Domain.BatchRejected, {
    identifier: Domain.BatchRejected.code
  }),
  {
    strict: true,
    decode: (b) =>
      new Domain.BatchRejected({
        items: b.items.map((i) => ({
          _tag: "rejected" as const,
          index: i.index,
          userId: Domain.UserId.make("unknown"),
          code: i.code,
          message: i.message
        }))
      }),
    encode: (e) => ({
      success: false as const,
      error: e.message,
      code: Domain.BatchRejected.code,
      items: e.items.map((i) => ({ index: i.index, status: "rejected" as const, code: i.code, message: i.message }))
    })
  }
).annotations({ ...HttpApiSchema.annotations({ status: 422 }), identifier: Domain.BatchRejected.code })

/** The contract's error schemas, one per code. */
export const ApiErrors = {
  ValidationError: wire(
    Domain.ValidationError,
    (b) => new Domain.ValidationError({ message: b.error, details: b.details ?? [] })
  ),
  InsufficientBalance: wire(Domain.InsufficientBalance, () => new Domain.InsufficientBalance()),
  LimitExceeded: limitExceeded,
  VelocityLimited: wire(Domain.VelocityLimited, () => new Domain.VelocityLimited()),
  Unauthorized: wire(Unauthorized, (b) => new Unauthorized({ message: b.error })),
  Forbidden: wire(Domain.Forbidden, (b) => new Domain.Forbidden({ message: b.error })),
  UserNotActive: wire(
    Domain.UserNotActive,
    (b) => new Domain.UserNotActive({ status: b.error.slice(Domain.UserNotActive.prefix.length) })
  ),
  UserNotFound: wire(Domain.UserNotFound, () => new Domain.UserNotFound()),
  TransactionNotFound: wire(Domain.TransactionNotFound, () => new Domain.TransactionNotFound()),
  RouteNotFound: wire(RouteNotFound, (b) => new RouteNotFound({ path: b.path ?? "" })),
  UserExists: wire(Domain.UserExists, () => new Domain.UserExists()),
  ConcurrentRequest: wire(Domain.ConcurrentRequest, () => new Domain.ConcurrentRequest()),
  IdempotencyKeyInUse: wire(Domain.IdempotencyKeyInUse, () => new Domain.IdempotencyKeyInUse()),
  PayloadTooLarge: wire(PayloadTooLarge, () => new PayloadTooLarge()),
  IdempotencyKeyReused: wire(Domain.IdempotencyKeyReused, () => new Domain.IdempotencyKeyReused()),
  BatchRejected: batchRejected,
  BatchNotFound: wire(Domain.BatchNotFound, () => new Domain.BatchNotFound()),
  RateLimitExceeded: wire(RateLimitExceeded, () => new RateLimitExceeded()),
  UserRateLimitExceeded: wire(UserRateLimitExceeded, () => new UserRateLimitExceeded()),
  PayoutNotCancelable: wire(
    Domain.PayoutNotCancelable,
    (b) => new Domain.PayoutNotCancelable({ status: b.error.slice(Domain.PayoutNotCancelable.prefix.length) })
  ),
  PayoutNotReturnable: wire(
    Domain.PayoutNotReturnable,
    (b) => new Domain.PayoutNotReturnable({ status: b.error.slice(Domain.PayoutNotReturnable.prefix.length) })
  ),
  WebhookEndpointNotFound: wire(Domain.WebhookEndpointNotFound, () => new Domain.WebhookEndpointNotFound()),
  WebhookDeliveryNotFound: wire(Domain.WebhookDeliveryNotFound, () => new Domain.WebhookDeliveryNotFound()),
  WebhookLimitReached: wire(Domain.WebhookLimitReached, (b) => {
    const limit = /At most (\d+)/.exec(b.error)?.[1]
    return new Domain.WebhookLimitReached({ limit: Number(limit ?? 0) })
  }),
  InternalError: wire(InternalError, () => new InternalError()),
  ServiceUnavailable: wire(Domain.ServiceUnavailable, () => new Domain.ServiceUnavailable({ dependency: "unknown" }))
}

const all: ReadonlyArray<Schema.Schema.AnyNoContext> = Object.values(ApiErrors)

export interface Rendered {
  readonly status: number
  readonly code: string
  readonly body: ErrorBody
}

/** The wire form of any error the contract knows, or none (the edge answers that as a defect). */
export const render = (u: unknown): Option.Option<Rendered> => {
  for (const schema of all) {
    if (Schema.is(schema)(u)) {
      const body: ErrorBody = Schema.encodeUnknownSync(schema)(u)
      return Option.some({ status: HttpApiSchema.getStatusErrorAST(schema.ast), code: body.code, body })
    }
  }
  return Option.none()
}
