import { Data } from "effect"

export interface FieldIssue {
  readonly field: string
  readonly message: string
}

export class ValidationError extends Data.TaggedError("ValidationError")<{
  readonly message: string
  readonly details: ReadonlyArray<FieldIssue>
}> {}

export class UserNotFound extends Data.TaggedError("UserNotFound")<{ readonly userId: string }> {}
export class UserNotActive extends Data.TaggedError("UserNotActive")<{
  readonly userId: string
  readonly status: string
}> {}
export class UserExists extends Data.TaggedError("UserExists")<{ readonly userId: string }> {}
export class InsufficientBalance extends Data.TaggedError("InsufficientBalance")<{
  readonly available: number
  readonly requested: number
}> {}
export class TransactionNotFound extends Data.TaggedError("TransactionNotFound")<{
  readonly transactionId: string
}> {}
/** The per-user lock stayed busy through all its retries. */
export class ConcurrentRequest extends Data.TaggedError("ConcurrentRequest")<{ readonly userId: string }> {}
/** A request with the same Idempotency-Key has not been answered yet. */
export class IdempotencyKeyInUse extends Data.TaggedError("IdempotencyKeyInUse")<{ readonly key: string }> {}
/** Same Idempotency-Key, different body. */
export class IdempotencyKeyReused extends Data.TaggedError("IdempotencyKeyReused")<{ readonly key: string }> {}
export class RateLimitExceeded extends Data.TaggedError("RateLimitExceeded")<{
  readonly scope: "ip" | "user"
  readonly limit: number
  /** Milliseconds until the window resets: `Retry-After` is its ceiling in seconds. */
  readonly resetMs: number
}> {}
/** A dependency did not answer; raised before any money moved. */
export class ServiceUnavailable extends Data.TaggedError("ServiceUnavailable")<{
  readonly dependency: string
  /** Where it was tried (credentials masked), for logs and start-up errors; never sent to clients. */
  readonly at?: string | undefined
  /** What the driver said. */
  readonly reason?: string | undefined
}> {}

export type IntakeError =
  | ValidationError
  | UserNotFound
  | UserNotActive
  | InsufficientBalance
  | ConcurrentRequest
  | IdempotencyKeyInUse
  | IdempotencyKeyReused
  | RateLimitExceeded
  | ServiceUnavailable

/** The identity may not act on this resource. */
export class Forbidden extends Data.TaggedError("Forbidden")<{ readonly reason: string }> {}
