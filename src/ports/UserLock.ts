import { randomUUID } from "node:crypto"
import { Context, Deferred, Effect, Exit, FiberId, Random } from "effect"
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
  /** Runs `use` holding the user's lease, waiting while it is busy; ConcurrentRequest when the retries run out. */
  readonly withLease: <A, E, R>(
    userId: UserId,
    use: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | ConcurrentRequest | ServiceUnavailable, R>
}

export interface LeaseSettings {
  readonly ttlMs: number
  readonly retryDelayMs: number
  readonly retryCount: number
}

/** Resolves when `userId`'s lease is released (or never: the retry timer is the fallback). */
export type ReleaseSignal = (userId: UserId) => Effect.Effect<void>

/**
 * Waiters by user, for the layers to wake on a release (memory: in `release`;
 * Redis: on the release message). Entries go away with their last waiter.
 */
export const makeReleaseSignals = () => {
  const waiting = new Map<UserId, { readonly woken: Deferred.Deferred<void>; count: number }>()
  const released: ReleaseSignal = (userId) =>
    Effect.suspend(() => {
      const entry = waiting.get(userId) ?? { woken: Deferred.unsafeMake<void>(FiberId.none), count: 0 }
      entry.count += 1
      waiting.set(userId, entry)
      return Deferred.await(entry.woken).pipe(
        Effect.onInterrupt(() =>
          Effect.sync(() => {
            entry.count -= 1
            if (entry.count === 0 && waiting.get(userId) === entry) waiting.delete(userId)
          })
        )
      )
    })
  const wake = (userId: UserId): void => {
    const entry = waiting.get(userId)
    if (entry === undefined) return
    waiting.delete(userId)
    Deferred.unsafeDone(entry.woken, Exit.void)
  }
  return { released, wake, size: () => waiting.size }
}

/**
 * `withLease` written once over `tryAcquire`/`release`, for every layer. While the
 * lease is busy it tries again when the holder releases it (`released`) or
 * after `retryDelayMs` jittered 0.8–1.2×, whichever comes first, at most
 * `retryCount` times. The release is in place before the first try, so a
 * lease taken by a try that was interrupted mid-flight is still released
 * (owner-checked, so harmless when the token never held it).
 */
export const makeLease = (
  tryAcquire: UserLockShape["tryAcquire"],
  release: UserLockShape["release"],
  settings: LeaseSettings,
  released?: ReleaseSignal
): UserLockShape["withLease"] => {
  const pause = Effect.flatMap(Random.nextRange(0.8, 1.2), (f) => Effect.sleep(settings.retryDelayMs * f))
  return (userId, use) =>
    Effect.suspend(() => {
      const wait = released === undefined ? pause : Effect.raceFirst(released(userId), pause)
      const attempt = (token: string, retries: number): Effect.Effect<void, ConcurrentRequest | ServiceUnavailable> =>
        Effect.flatMap(tryAcquire(userId, token, settings.ttlMs), (acquired) =>
          acquired
            ? Effect.void
            : retries === 0
              ? Effect.fail(new ConcurrentRequest({ userId }))
              : Effect.zipRight(wait, attempt(token, retries - 1))
        )
      const token = randomUUID()
      const acquire = Effect.withSpan(attempt(token, settings.retryCount), "UserLock.lease", {
        attributes: { userId },
        captureStackTrace: false
      })
      return Effect.ensuring(Effect.zipRight(acquire, use), Effect.ignore(release(userId, token)))
    })
}

export class UserLock extends Context.Tag("swiftpay/UserLock")<UserLock, UserLockShape>() {}
