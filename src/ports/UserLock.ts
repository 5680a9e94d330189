import { randomUUID } from "node:crypto"
import { Context, Data, Effect, Schedule, type Scope } from "effect"
import { ConcurrentRequest, type ServiceUnavailable, type UserId } from "../domain/index.js"

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

export interface LeaseSettings {
  readonly ttlMs: number
  readonly retryDelayMs: number
  readonly retryCount: number
}

/** Waits between tries: spaced, jittered (0.8–1.2×), at most `retryCount` retries. */
export const leaseSchedule = (settings: LeaseSettings) =>
  Schedule.spaced(settings.retryDelayMs).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(settings.retryCount))
  )

class Busy extends Data.TaggedError("Busy") {}

/**
 * `lease` written once over `tryAcquire`/`release`, for every layer. The
 * finalizer is in place before the first try, so a lease taken by a try that
 * was interrupted mid-flight is still released (owner-checked, so harmless
 * when the token never held it).
 */
export const makeLease =
  (
    tryAcquire: UserLockShape["tryAcquire"],
    release: UserLockShape["release"],
    settings: LeaseSettings
  ): UserLockShape["lease"] =>
  (userId) =>
    Effect.gen(function* () {
      const token = randomUUID()
      yield* Effect.addFinalizer(() => release(userId, token).pipe(Effect.ignore))
      yield* tryAcquire(userId, token, settings.ttlMs).pipe(
        Effect.filterOrFail(
          (acquired) => acquired,
          () => new Busy()
        ),
        Effect.retry({ schedule: leaseSchedule(settings), while: (e) => e._tag === "Busy" }),
        Effect.catchTag("Busy", () => Effect.fail(new ConcurrentRequest({ userId })))
      )
    }).pipe(Effect.withSpan("UserLock.lease", { attributes: { userId } }))

export class UserLock extends Context.Tag("swiftpay/UserLock")<UserLock, UserLockShape>() {}
