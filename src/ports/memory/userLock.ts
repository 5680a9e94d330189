import { Clock, Config, type ConfigError, Effect, Layer } from "effect"
import type { ServiceUnavailable, UserId } from "../../domain/index.js"
import { type LeaseSettings, makeLease, makeReleaseSignals, type ReleaseSignal, UserLock } from "../UserLock.js"

interface Held {
  readonly token: string
  readonly expiresAt: number
}

export interface MemoryLeases {
  readonly tryAcquire: (userId: UserId, token: string, ttlMs: number) => Effect.Effect<boolean, ServiceUnavailable>
  readonly release: (userId: UserId, token: string) => Effect.Effect<boolean, ServiceUnavailable>
  readonly released: ReleaseSignal
}

/**
 * `SET NX PX` and compare-and-delete over a map, with expiry read from `Clock`.
 * Each step is one synchronous block, so it is atomic. A release wakes the
 * user's waiters at once (one of them wins the next try).
 */
export const makeLeases: Effect.Effect<MemoryLeases> = Effect.sync(() => {
  const leases = new Map<UserId, Held>()
  const signals = makeReleaseSignals()

  const tryAcquire = (userId: UserId, token: string, ttlMs: number) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const held = leases.get(userId)
      if (held !== undefined && held.expiresAt > now) return false
      leases.set(userId, { token, expiresAt: now + ttlMs })
      return true
    })

  const release = (userId: UserId, token: string) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const held = leases.get(userId)
      if (held === undefined || held.token !== token || held.expiresAt <= now) return false
      leases.delete(userId)
      signals.wake(userId)
      return true
    })

  return { tryAcquire, release, released: signals.released }
})

/** In-process leases on `Clock`. */
export const make = (settings: LeaseSettings) =>
  Effect.map(makeLeases, (leases) =>
    UserLock.of({
      tryAcquire: leases.tryAcquire,
      release: leases.release,
      withLease: makeLease(leases.tryAcquire, leases.release, settings, leases.released)
    })
  )

export const layer = (settings: LeaseSettings): Layer.Layer<UserLock> => Layer.effect(UserLock, make(settings))

export const layerConfig = (
  config: Config.Config.Wrap<LeaseSettings>
): Layer.Layer<UserLock, ConfigError.ConfigError> => Layer.effect(UserLock, Effect.flatMap(Config.unwrap(config), make))
