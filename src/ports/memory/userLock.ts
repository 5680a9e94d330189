import { Clock, Config, type ConfigError, Effect, HashMap, Layer, Option, Ref } from "effect"
import type { ServiceUnavailable, UserId } from "../../domain/index.js"
import { type LeaseSettings, makeLease, UserLock } from "../UserLock.js"

interface Held {
  readonly token: string
  readonly expiresAt: number
}

export interface MemoryLeases {
  readonly tryAcquire: (userId: UserId, token: string, ttlMs: number) => Effect.Effect<boolean, ServiceUnavailable>
  readonly release: (userId: UserId, token: string) => Effect.Effect<boolean, ServiceUnavailable>
}

/** `SET NX PX` and compare-and-delete over a map, with expiry read from `Clock`. */
export const makeLeases: Effect.Effect<MemoryLeases> = Effect.gen(function* () {
  const leases = yield* Ref.make(HashMap.empty<UserId, Held>())

  const live = (held: Option.Option<Held>, now: number) => Option.filter(held, (h) => h.expiresAt > now)

  const tryAcquire = Effect.fn("UserLock.tryAcquire")(function* (userId: UserId, token: string, ttlMs: number) {
    const now = yield* Clock.currentTimeMillis
    return yield* Ref.modify(leases, (map) =>
      Option.isSome(live(HashMap.get(map, userId), now))
        ? [false, map]
        : [true, HashMap.set(map, userId, { token, expiresAt: now + ttlMs })]
    )
  })

  const release = Effect.fn("UserLock.release")(function* (userId: UserId, token: string) {
    const now = yield* Clock.currentTimeMillis
    return yield* Ref.modify(leases, (map) => {
      const held = live(HashMap.get(map, userId), now)
      return Option.isSome(held) && held.value.token === token ? [true, HashMap.remove(map, userId)] : [false, map]
    })
  })

  return { tryAcquire, release }
})

/** In-process leases on `Clock`. */
export const make = (settings: LeaseSettings) =>
  Effect.map(makeLeases, (leases) =>
    UserLock.of({ ...leases, lease: makeLease(leases.tryAcquire, leases.release, settings) })
  )

export const layer = (settings: LeaseSettings): Layer.Layer<UserLock> => Layer.effect(UserLock, make(settings))

export const layerConfig = (
  config: Config.Config.Wrap<LeaseSettings>
): Layer.Layer<UserLock, ConfigError.ConfigError> => Layer.effect(UserLock, Effect.flatMap(Config.unwrap(config), make))
