import { randomUUID } from "node:crypto"
import { Clock, Context, Deferred, Effect, Exit, FiberId, Random } from "effect"
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

/** A waiter's place in line for `userId`'s next release: `wait` ends on it; `cancel` leaves the line. */
export interface ReleaseWait {
  readonly wait: Effect.Effect<void>
  readonly cancel: () => void
}

/** Takes a place in line for `userId`'s next release (never signalled: the retry timer is the fallback). */
export type ReleaseSignal = (userId: UserId) => ReleaseWait

/**
 * Waiters by user, for the layers to wake on a release (memory: in `release`;
 * Redis: on the release message). Entries go away with their last waiter.
 */
export const makeReleaseSignals = () => {
  const waiting = new Map<UserId, { readonly woken: Deferred.Deferred<void>; count: number }>()
  const released: ReleaseSignal = (userId) => {
    const entry = waiting.get(userId) ?? { woken: Deferred.unsafeMake<void>(FiberId.none), count: 0 }
    entry.count += 1
    waiting.set(userId, entry)
    let left = false
    const cancel = () => {
      if (left) return
      left = true
      entry.count -= 1
      if (entry.count === 0 && waiting.get(userId) === entry) waiting.delete(userId)
    }
    return { wait: Effect.ensuring(Deferred.await(entry.woken), Effect.sync(cancel)), cancel }
  }
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
 * lease is busy the request takes a place in line for its release, tries once
 * more (a release just before it joined would otherwise be missed), then waits
 * for that release or `retryDelayMs` jittered 0.8–1.2×, whichever comes first.
 * Only the timer spends one of the `retryCount` retries (a release another
 * waiter wins costs nothing), and the whole wait ends by
 * `retryCount × 1.2 × retryDelayMs`, the longest the timer alone could take.
 * The release is in place before the first try, so a lease taken by a try that
 * was interrupted mid-flight is still released (owner-checked, so harmless
 * when the token never held it).
 */
export const makeLease = (
  tryAcquire: UserLockShape["tryAcquire"],
  release: UserLockShape["release"],
  settings: LeaseSettings,
  released?: ReleaseSignal
): UserLockShape["withLease"] => {
  const pause = Effect.flatMap(Random.nextRange(0.8, 1.2), (f) => Effect.sleep(settings.retryDelayMs * f))
  const longestWaitMs = settings.retryCount * settings.retryDelayMs * 1.2
  return (userId, use) =>
    Effect.suspend(() => {
      const token = randomUUID()
      const busy = new ConcurrentRequest({ userId })
      const take = tryAcquire(userId, token, settings.ttlMs)
      type Outcome = Effect.Effect<void, ConcurrentRequest | ServiceUnavailable>
      /** Busy: wait for a release or the timer, then try again (`woken`: the release came first). */
      const waitThenRetry = (retries: number, deadline: number): Outcome => {
        if (released === undefined) return Effect.zipRight(pause, attempt(retries - 1, deadline))
        return Effect.suspend(() => {
          const line = released(userId)
          return Effect.flatMap(take, (acquired) =>
            acquired
              ? Effect.sync(line.cancel)
              : Effect.flatMap(
                  Effect.ensuring(
                    Effect.raceFirst(Effect.as(line.wait, true), Effect.as(pause, false)),
                    Effect.sync(line.cancel)
                  ),
                  (woken) => attempt(woken ? retries : retries - 1, deadline)
                )
          )
        })
      }
      const attempt = (retries: number, deadline: number): Outcome =>
        Effect.flatMap(take, (acquired) =>
          acquired
            ? Effect.void
            : retries === 0
              ? Effect.fail(busy)
              : Effect.flatMap(Clock.currentTimeMillis, (now) =>
                  now >= deadline ? Effect.fail(busy) : waitThenRetry(retries, deadline)
                )
        )
      const acquire = Effect.flatMap(Clock.currentTimeMillis, (now) =>
        attempt(settings.retryCount, now + longestWaitMs)
      ).pipe(Effect.withSpan("UserLock.lease", { attributes: { userId }, captureStackTrace: false }))
      return Effect.ensuring(Effect.zipRight(acquire, use), Effect.ignore(release(userId, token)))
    })
}

export class UserLock extends Context.Tag("swiftpay/UserLock")<UserLock, UserLockShape>() {}
