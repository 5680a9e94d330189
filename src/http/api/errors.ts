import { HttpApiSchema } from "@effect/platform"
import { Data, Schema } from "effect"

export const FieldIssue = Schema.Struct({ field: Schema.String, message: Schema.String }).annotations({
  identifier: "FieldIssue"
})
export type FieldIssue = typeof FieldIssue.Type

/** Every error on the wire: no `_tag`, no stack, no driver text. */
export const ErrorBody = Schema.Struct({
  success: Schema.Literal(false),
  error: Schema.String,
  code: Schema.String,
  details: Schema.optional(Schema.Array(FieldIssue)),
  path: Schema.optional(Schema.String)
}).annotations({ identifier: "Error" })

/**
 * An error as the HTTP edge answers it. `headers` travel with the response
 * (Retry-After, RateLimit-*), not in the body.
 */
export class ApiError extends Data.TaggedError("ApiError")<{
  readonly status: number
  readonly code: string
  readonly message: string
  readonly details?: ReadonlyArray<FieldIssue> | undefined
  readonly path?: string | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}> {}

export const bodyOf = (e: ApiError): typeof ErrorBody.Type => ({
  success: false,
  error: e.message,
  code: e.code,
  ...(e.details === undefined ? {} : { details: e.details }),
  ...(e.path === undefined ? {} : { path: e.path })
})

/** The contract's view of the ApiErrors with one status: the body above, decoded back into an ApiError by clients. */
const withStatus = (status: number, codes: ReadonlyArray<string>) =>
  Schema.transform(
    ErrorBody,
    Schema.declare((u: unknown): u is ApiError => u instanceof ApiError && u.status === status, {
      identifier: `ApiError${status}`
    }),
    {
      strict: true,
      decode: (b) => new ApiError({ status, code: b.code, message: b.error, details: b.details, path: b.path }),
      encode: bodyOf
    }
  ).annotations({ ...HttpApiSchema.annotations({ status }), description: `code: ${codes.join(" | ")}` })

export const BadRequest = withStatus(400, ["VALIDATION_ERROR", "INSUFFICIENT_BALANCE"])
export const Unauthorized = withStatus(401, ["UNAUTHORIZED"])
export const Forbidden = withStatus(403, ["FORBIDDEN", "USER_NOT_ACTIVE"])
export const NotFound = withStatus(404, ["USER_NOT_FOUND", "TRANSACTION_NOT_FOUND", "NOT_FOUND"])
export const Conflict = withStatus(409, ["CONCURRENT_REQUEST", "IDEMPOTENCY_KEY_IN_USE", "USER_EXISTS"])
export const PayloadTooLarge = withStatus(413, ["PAYLOAD_TOO_LARGE"])
export const Unprocessable = withStatus(422, ["IDEMPOTENCY_KEY_REUSED"])
export const TooManyRequests = withStatus(429, ["RATE_LIMIT_EXCEEDED", "USER_RATE_LIMIT_EXCEEDED"])
export const Internal = withStatus(500, ["INTERNAL_ERROR"])
export const Unavailable = withStatus(503, ["SERVICE_UNAVAILABLE"])

export const validationError = (message: string, details: ReadonlyArray<FieldIssue> = []) =>
  new ApiError({ status: 400, code: "VALIDATION_ERROR", message, details })
