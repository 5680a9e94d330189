import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Queue, Schedule } from "effect"
import { UserId } from "../../src/domain/index.js"
import { RedisClient } from "../../src/infra/redis/client.js"
import * as RedisEventBus from "../../src/infra/redis/eventBus.js"
import * as RedisRateLimiter from "../../src/infra/redis/rateLimiter.js"
import * as RedisUserLock from "../../src/infra/redis/userLock.js"
import { EventBus } from "../../src/ports/EventBus.js"
import { RateLimiter } from "../../src/ports/RateLimiter.js"
import { UserLock } from "../../src/ports/UserLock.js"
import { sampleEvent } from "../contracts/eventBus.js"
import { unique, within } from "../contracts/time.js"

const client = () => RedisClient.layer({ connectionName: "swiftpay-test" })
const lockSettings = { ttlMs: 5_000, retryDelayMs: 20, retryCount: 3 }

describe("Redis UserLock", () => {
  it.scopedLive("a lease that expired and was taken over survives the first owner's release", () =>
    Effect.gen(function* () {
      const lock = yield* UserLock
      const redis = yield* RedisClient
      const u = UserId.make(unique("u"))
      expect(yield* lock.tryAcquire(u, "first", 50)).toBe(true)
      yield* Effect.promise(() => redis.pexpire(`lock:${u}`, 1))
      yield* lock
        .tryAcquire(u, "second", 5_000)
        .pipe(
          Effect.repeat({ until: (taken) => taken, schedule: Schedule.spaced("5 millis") }),
          within("2 seconds", "the lease to expire")
        )
      expect(yield* lock.release(u, "first")).toBe(false)
      expect(yield* Effect.promise(() => redis.get(`lock:${u}`))).toBe("second")
      expect(yield* Effect.promise(() => redis.pttl(`lock:${u}`))).toBeGreaterThan(1_000)
    }).pipe(Effect.provide(Layer.provideMerge(RedisUserLock.layer(lockSettings), client())))
  )

  it.scopedLive(
    "a waiter on another gateway takes the lease as soon as it is released, not after the retry delay",
    () =>
      Effect.gen(function* () {
        // two gateways: separate connections, separate subscribers; the retry delay is far longer than the wait allowed
        const slow = { ttlMs: 10_000, retryDelayMs: 5_000, retryCount: 2 }
        const gateway = (name: string) =>
          Layer.build(RedisUserLock.layer(slow).pipe(Layer.provide(RedisClient.layer({ connectionName: name })))).pipe(
            Effect.map(Context.get(UserLock))
          )
        const a = yield* gateway("swiftpay-test-a")
        const b = yield* gateway("swiftpay-test-b")
        const u = UserId.make(unique("u"))
        const holding = yield* Deferred.make<void>()
        const done = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(
          a.withLease(u, Effect.zipRight(Deferred.succeed(holding, undefined), Deferred.await(done)))
        )
        yield* Deferred.await(holding)
        const waiter = yield* Effect.fork(b.withLease(u, Effect.void))
        yield* Effect.sleep("200 millis") // b has tried once and waits
        const released = Date.now()
        yield* Deferred.succeed(done, undefined)
        yield* Fiber.join(holder)
        yield* Fiber.join(waiter).pipe(within("2 seconds", "the waiter to be woken by the release"))
        expect(Date.now() - released).toBeLessThan(1_000)
      })
  )
})

describe("Redis RateLimiter", () => {
  it.scopedLive("gateways on separate connections share one window per key", () =>
    Effect.gen(function* () {
      const gateway = Layer.build(Layer.provide(RedisRateLimiter.layer, client())).pipe(
        Effect.map((context) => Context.get(context, RateLimiter))
      )
      const limiters = yield* Effect.all([gateway, gateway, gateway])
      const key = unique("rl:user:")
      const decisions = yield* Effect.all(
        limiters.flatMap((rl) => Array.from({ length: 20 }, () => rl.hit(key, 25, 10_000))),
        { concurrency: "unbounded" }
      )
      expect(decisions.filter((d) => d.allowed)).toHaveLength(25)
      const redis = yield* RedisClient
      expect(yield* Effect.promise(() => redis.get(key))).toBe("60")
    }).pipe(Effect.provide(client()))
  )
})

describe("Redis EventBus", () => {
  it.scopedLive("an event published by one process reaches another's subscriber; bad frames are dropped", () =>
    Effect.gen(function* () {
      const channel = unique("events")
      const bus = (options: RedisEventBus.RedisEventBusOptions) =>
        Layer.build(Layer.provide(RedisEventBus.layer(options), client()))
      const gateway = yield* bus({ channel })
      const worker = yield* bus({ channel })
      const dequeue = yield* Effect.provide(EventBus.pipe(Effect.flatMap((b) => b.subscribe)), gateway)
      const redis = yield* RedisClient
      yield* Effect.promise(() => redis.publish(channel, "{not json"))
      yield* Effect.promise(() => redis.publish(channel, JSON.stringify({ type: "PAYOUT_INITIATED" })))
      const userId = UserId.make(unique("u"))
      yield* Effect.provide(EventBus.pipe(Effect.flatMap((b) => b.publish(sampleEvent(userId, 7)))), worker)
      expect(yield* Queue.take(dequeue).pipe(within("5 seconds", "the event"))).toEqual(sampleEvent(userId, 7))
      expect(yield* Queue.size(dequeue)).toBe(0)
    }).pipe(Effect.provide(client()))
  )
})

describe("Redis reconnection", () => {
  it.scopedLive(
    "after the server drops both connections, commands and the subscription come back, and the bus says so once",
    () =>
      Effect.gen(function* () {
        const name = unique("swiftpay-test")
        const channel = unique("events")
        const context = yield* Layer.build(
          Layer.provideMerge(RedisEventBus.layer({ channel }), RedisClient.layer({ connectionName: name }))
        )
        const bus = Context.get(context, EventBus)
        const dequeue = yield* bus.subscribe
        const gaps = yield* bus.resubscribed
        const admin = yield* RedisClient
        const list = yield* Effect.promise(() => admin.client("LIST"))
        const ids = String(list)
          .split("\n")
          .filter((line) => line.includes(` name=${name} `))
          .map((line) => /^id=(\d+)/.exec(line)?.[1] ?? "")
        expect(ids).toHaveLength(2)
        yield* Effect.forEach(ids, (id) => Effect.promise(() => admin.client("KILL", "ID", id)), { discard: true })

        const userId = UserId.make(unique("u"))
        // the bus says when its subscription is confirmed again; a publish after that lands
        yield* Queue.take(gaps).pipe(within("10 seconds", "the resubscribed signal"))
        yield* bus.publish(sampleEvent(userId, 1))
        expect(yield* Queue.take(dequeue).pipe(within("5 seconds", "an event after the reconnect"))).toEqual(
          sampleEvent(userId, 1)
        )
        expect(yield* Queue.size(gaps)).toBe(0)
        const redis = Context.get(context, RedisClient)
        expect(yield* Effect.promise(() => redis.ping())).toBe("PONG")
      }).pipe(Effect.provide(client()))
  )
})

describe("Redis client", () => {
  it.scopedLive("an unreachable server fails start-up with ServiceUnavailable once the retries run out", () =>
    Effect.gen(function* () {
      const exit = yield* Layer.build(
        RedisClient.layer({ host: "127.0.0.1", port: 1, connectRetry: Schedule.recurs(2) })
      ).pipe(Effect.exit)
      expect(exit).toEqual(Exit.fail(expect.objectContaining({ _tag: "ServiceUnavailable", dependency: "redis" })))
    })
  )
})
