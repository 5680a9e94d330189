import { Duration, Effect, Layer } from "effect"
import { ServiceUnavailable } from "../domain/index.js"
import * as MongoStore from "../infra/mongo/payoutStore.js"
import * as RabbitQueue from "../infra/rabbitmq/payoutQueue.js"
import { RedisClient } from "../infra/redis/client.js"
import * as RedisEventBus from "../infra/redis/eventBus.js"
import * as RedisRailBook from "../infra/redis/railBook.js"
import * as RedisRateLimiter from "../infra/redis/rateLimiter.js"
import * as RedisUserLock from "../infra/redis/userLock.js"
import * as SimulatedRail from "../ports/memory/rail.js"

/** MongoDB: the PayoutStore (indexes ensured at start-up, connection retried). */
export const Store = MongoStore.layerConfig

/**
 * RabbitMQ: the PayoutQueue on RABBITMQ_URL (topology declared, reconnects on its
 * own). On shutdown in-flight settlements get 10 s to finish before they are requeued.
 */
export const Queue = RabbitQueue.layerConfig({ drainTimeout: Duration.seconds(10) })

/**
 * The simulated rail with its books in Redis: one decision per idempotency key
 * for every worker and every restart (a real rail keeps its own).
 */
export const Rail = SimulatedRail.layerConfigOnBook.pipe(Layer.provide(RedisRailBook.layerConfig))

/** One Redis command connection shared by lock, limiter and event publisher; the bus subscribes on its own. */
export const Redis = RedisClient.layerConfig()

export const RedisPorts = Layer.mergeAll(RedisUserLock.layerConfig, RedisRateLimiter.layer, RedisEventBus.layer())

export const RedisEvents = RedisEventBus.layer()

/** PING on the shared connection, for /api/health/detailed. */
export const redisProbe = Effect.flatMap(RedisClient, (redis) =>
  Effect.tryPromise({ try: () => redis.ping(), catch: () => new ServiceUnavailable({ dependency: "redis" }) })
)
