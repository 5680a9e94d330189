import { Context, type Effect, type Scope } from "effect"
import type { ConcurrentRequest, ServiceUnavailable, UserId } from "../domain/index.js"

/**
 * A per-user lease that makes one user's intakes queue politely. Correctness never
 * rests on it (the store's conditional updates do): it may expire under a pause.
 */
export interface UserLockShape {
  /** `SET lock:<userId> <token> NX PX ttl`: true when this token now holds the lease. */
  readonly tryAcquire: (userId: UserId, token: string, ttlMs: number) => Effect.Effect<boolean, ServiceUnavailable>
  /** Deletes the lease only if `token` still holds it: true when it did. */
  readonly release: (userId: UserId, token: string) => Effect.Effect<boolean, ServiceUnavailable>
  /** Holds the lease for the scope, retrying while busy; ConcurrentRequest when the retries run out. */
  readonly lease: (userId: UserId) => Effect.Effect<void, ConcurrentRequest | ServiceUnavailable, Scope.Scope>
}

export class UserLock extends Context.Tag("swiftpay/UserLock")<UserLock, UserLockShape>() {}
