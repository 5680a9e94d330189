import { Config, type ConfigError, Effect, Layer, Schema, type Scope } from "effect"
import type { Redis } from "ioredis"
import type { ServiceUnavailable } from "../../domain/errors.js"
import type { UserId } from "../../domain/ids.js"
import {
  type LeaseSettings,
  makeLease,
  makeReleaseSignals,
  UserLock,
  type UserLockShape
} from "../../ports/UserLock.js"
import { acquire, RedisClient, unavailable } from "./client.js"
import { compareAndDelete } from "./scripts.js"

const SetReply = Schema.NullOr(Schema.Literal("OK"))
const DeletedCount = Schema.Literal(0, 1)

const LOCK_PREFIX = "lock:"
const lockKey = (userId: UserId) => `${LOCK_PREFIX}${userId}`

/** Where a release is announced: every gateway's waiters for that user try again at once. */
export const RELEASED_CHANNEL = "swiftpay:lock-released"

/**
 * `SET NX PX` and a Lua compare-and-delete that also publishes the release. One
 * subscriber connection per process wakes its waiters; while it is down they
 * fall back to the retry timer.
 */
export const make = (
  redis: Redis,
  settings: LeaseSettings
): Effect.Effect<UserLockShape, ServiceUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    redis.defineCommand("swiftpayCompareAndDelete", compareAndDelete)
    const signals = makeReleaseSignals()
    const { host, port, db } = redis.options
    const subscriber = yield* acquire(() => redis.duplicate(), undefined, `redis://${host}:${port}/${db}`)
    subscriber.on("message", (channel: string, key: string) => {
      if (channel === RELEASED_CHANNEL && key.startsWith(LOCK_PREFIX)) {
        signals.wake(key.slice(LOCK_PREFIX.length) as UserId)
      }
    })
    yield* Effect.tryPromise(() => subscriber.subscribe(RELEASED_CHANNEL)).pipe(Effect.catchAll(unavailable))

    const tryAcquire = Effect.fn("RedisUserLock.tryAcquire")(function* (userId: UserId, token: string, ttlMs: number) {
      const reply = yield* Effect.tryPromise(() => redis.set(lockKey(userId), token, "PX", ttlMs, "NX")).pipe(
        Effect.catchAll(unavailable)
      )
      return (yield* Schema.decodeUnknown(SetReply)(reply).pipe(Effect.orDie)) === "OK"
    })

    const release = Effect.fn("RedisUserLock.release")(function* (userId: UserId, token: string) {
      const reply = yield* Effect.tryPromise(() =>
        redis.swiftpayCompareAndDelete(lockKey(userId), token, RELEASED_CHANNEL)
      ).pipe(Effect.catchAll(unavailable))
      return (yield* Schema.decodeUnknown(DeletedCount)(reply).pipe(Effect.orDie)) === 1
    })

    return { tryAcquire, release, withLease: makeLease(tryAcquire, release, settings, signals.released) }
  })

export const layer = (settings: LeaseSettings): Layer.Layer<UserLock, ServiceUnavailable, RedisClient> =>
  Layer.scoped(
    UserLock,
    Effect.flatMap(RedisClient, (redis) => make(redis, settings))
  )

export const layerConfig = (
  config: Config.Config.Wrap<LeaseSettings>
): Layer.Layer<UserLock, ServiceUnavailable | ConfigError.ConfigError, RedisClient> =>
  Layer.scoped(
    UserLock,
    Effect.flatMap(Effect.zip(RedisClient, Config.unwrap(config)), ([redis, settings]) => make(redis, settings))
  )
