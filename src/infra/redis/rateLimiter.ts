import { Effect, Layer, Schema } from "effect"
import type { Redis } from "ioredis"
import { RateLimiter, type RateLimiterShape } from "../../ports/RateLimiter.js"
import { RedisClient, unavailable } from "./client.js"
import { fixedWindowHit } from "./scripts.js"

const WindowReply = Schema.Tuple(Schema.Int.pipe(Schema.positive()), Schema.Int.pipe(Schema.nonNegative()))

/** Fixed windows counted in Redis by one Lua call per hit, so every gateway shares them. */
export const make = (redis: Redis): RateLimiterShape => {
  redis.defineCommand("swiftpayFixedWindowHit", fixedWindowHit)

  const hit = Effect.fn("RedisRateLimiter.hit")(function* (key: string, limit: number, windowMs: number) {
    const reply = yield* Effect.tryPromise(() => redis.swiftpayFixedWindowHit(key, windowMs)).pipe(
      Effect.catchAll(unavailable)
    )
    const [count, ttl] = yield* Schema.decodeUnknown(WindowReply)(reply).pipe(Effect.orDie)
    return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetMs: ttl }
  })

  return { hit }
}

export const layer: Layer.Layer<RateLimiter, never, RedisClient> = Layer.effect(
  RateLimiter,
  Effect.map(RedisClient, make)
)
