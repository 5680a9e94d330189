import type { Result } from "ioredis"

/**
 * Deletes the key only if it still holds this token (a lease taken over after
 * expiry is left alone), and then publishes the key on the channel ARGV[2] so
 * that waiters in every process try again at once.
 */
export const compareAndDelete = {
  numberOfKeys: 1,
  lua: `if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("DEL", KEYS[1])
  redis.call("PUBLISH", ARGV[2], KEYS[1])
  return 1
end
return 0`
}

/** Fixed window: the first hit starts the window; returns { count, ms until reset }. */
export const fixedWindowHit = {
  numberOfKeys: 1,
  lua: `local count = redis.call("INCR", KEYS[1])
if count == 1 then redis.call("PEXPIRE", KEYS[1], ARGV[1]) end
local ttl = redis.call("PTTL", KEYS[1])
if ttl < 0 then
  redis.call("PEXPIRE", KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }`
}

declare module "ioredis" {
  interface RedisCommander<Context> {
    swiftpayCompareAndDelete(key: string, token: string, channel: string): Result<unknown, Context>
    swiftpayFixedWindowHit(key: string, windowMs: number): Result<unknown, Context>
  }
}
