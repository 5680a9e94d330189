import { Effect } from "effect"
import type {
  ConcurrentRequest,
  Forbidden,
  IdempotencyKeyInUse,
  IdempotencyKeyReused,
  InsufficientBalance,
  RateLimitExceeded,
  ServiceUnavailable,
  TransactionNotFound,
  UserExists,
  UserNotActive,
  UserNotFound,
  ValidationError
} from "../domain/index.js"
import type { RateLimitDecision } from "../ports/RateLimiter.js"
import { ApiError } from "./api/errors.js"

export type DomainError =
  | ValidationError
  | UserNotFound
  | UserNotActive
  | UserExists
  | InsufficientBalance
  | TransactionNotFound
  | ConcurrentRequest
  | IdempotencyKeyInUse
  | IdempotencyKeyReused
  | RateLimitExceeded
  | ServiceUnavailable
  | Forbidden

/** `RateLimit-*` headers (IETF draft), Reset in whole seconds. */
export const rateLimitHeaders = (d: Pick<RateLimitDecision, "limit" | "remaining" | "resetMs">) => ({
  "ratelimit-limit": String(d.limit),
  "ratelimit-remaining": String(d.remaining),
  "ratelimit-reset": String(Math.max(1, Math.ceil(d.resetMs / 1000)))
})

const error = (status: number, code: string, message: string) => new ApiError({ status, code, message })

/** The HTTP answer to each domain error. Messages are for people; nothing internal leaks. */
export const toApiError = (e: DomainError): ApiError => {
  switch (e._tag) {
    case "ValidationError":
      return new ApiError({ status: 400, code: "VALIDATION_ERROR", message: e.message, details: e.details })
    case "UserNotFound":
      return error(404, "USER_NOT_FOUND", "User not found")
    case "UserNotActive":
      return error(403, "USER_NOT_ACTIVE", `User account is ${e.status}`)
    case "UserExists":
      return error(409, "USER_EXISTS", "A user with this userId already exists")
    case "InsufficientBalance":
      return error(400, "INSUFFICIENT_BALANCE", "Insufficient balance for this payout")
    case "TransactionNotFound":
      return error(404, "TRANSACTION_NOT_FOUND", "Transaction not found")
    case "ConcurrentRequest":
      return error(409, "CONCURRENT_REQUEST", "Another request for this user is in progress; retry shortly")
    case "IdempotencyKeyInUse":
      return error(409, "IDEMPOTENCY_KEY_IN_USE", "A request with this Idempotency-Key is still in progress")
    case "IdempotencyKeyReused":
      return error(422, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used with a different request body")
    case "RateLimitExceeded": {
      const reset = rateLimitHeaders({ limit: e.limit, remaining: 0, resetMs: e.resetMs })
      return new ApiError({
        status: 429,
        code: e.scope === "user" ? "USER_RATE_LIMIT_EXCEEDED" : "RATE_LIMIT_EXCEEDED",
        message: e.scope === "user" ? "Too many payout requests for this user" : "Too many requests",
        headers: { ...reset, "retry-after": reset["ratelimit-reset"] }
      })
    }
    case "ServiceUnavailable":
      return error(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable; no money has moved")
    case "Forbidden":
      return error(403, "FORBIDDEN", "You may not act on this resource")
  }
}

/** Domain errors become their HTTP answer; a ServiceUnavailable is logged with the dependency it names. */
export const orApiError = <A, E extends DomainError, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, ApiError, R> =>
  Effect.catchAll(self, (e) =>
    Effect.zipRight(
      e._tag === "ServiceUnavailable"
        ? Effect.logWarning("dependency unavailable", { dependency: e.dependency })
        : Effect.void,
      Effect.fail(toApiError(e))
    )
  )
