import { Config, type ConfigError, Effect, Layer, Schema } from "effect"
import type { Redis } from "ioredis"
import type { UserId } from "../../domain/ids.js"
import { type LeaseSettings, makeLease, UserLock, type UserLockShape } from "../../ports/UserLock.js"
import { RedisClient, unavailable } from "./client.js"
import { compareAndDelete } from "./scripts.js"

const SetReply = Schema.NullOr(Schema.Literal("OK"))
const DeletedCount = Schema.Literal(0, 1)

const lockKey = (userId: UserId) => `lock:${userId}`

export const make = (redis: Redis, settings: LeaseSettings): UserLockShape => {
  redis.defineCommand("swiftpayCompareAndDelete", compareAndDelete)

  const tryAcquire = Effect.fn("RedisUserLock.tryAcquire")(function* (userId: UserId, token: string, ttlMs: number) {
    const reply = yield* Effect.tryPromise(() => redis.set(lockKey(userId), token, "PX", ttlMs, "NX")).pipe(
      Effect.catchAll(unavailable)
    )
    return (yield* Schema.decodeUnknown(SetReply)(reply).pipe(Effect.orDie)) === "OK"
  })

  const release = Effect.fn("RedisUserLock.release")(function* (userId: UserId, token: string) {
    const reply = yield* Effect.tryPromise(() => redis.swiftpayCompareAndDelete(lockKey(userId), token)).pipe(
      Effect.catchAll(unavailable)
    )
    return (yield* Schema.decodeUnknown(DeletedCount)(reply).pipe(Effect.orDie)) === 1
  })

  return { tryAcquire, release, withLease: makeLease(tryAcquire, release, settings) }
}

export const layer = (settings: LeaseSettings): Layer.Layer<UserLock, never, RedisClient> =>
  Layer.effect(
    UserLock,
    Effect.map(RedisClient, (redis) => make(redis, settings))
  )

export const layerConfig = (
  config: Config.Config.Wrap<LeaseSettings>
): Layer.Layer<UserLock, ConfigError.ConfigError, RedisClient> =>
  Layer.effect(UserLock, Effect.zipWith(RedisClient, Config.unwrap(config), make))
