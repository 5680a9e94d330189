import { Config, Duration, Effect, Layer, Option } from "effect"
import { ServiceUnavailable } from "../domain/index.js"
import { Mongo } from "../infra/mongo/client.js"
import * as MongoEventLog from "../infra/mongo/eventLog.js"
import * as MongoStore from "../infra/mongo/payoutStore.js"
import * as MongoWebhookStore from "../infra/mongo/webhookStore.js"
import * as Tracing from "../infra/otel/tracing.js"
import * as RabbitQueue from "../infra/rabbitmq/payoutQueue.js"
import { RedisClient } from "../infra/redis/client.js"
import * as RedisEventBus from "../infra/redis/eventBus.js"
import * as RedisRailBook from "../infra/redis/railBook.js"
import * as RedisRateLimiter from "../infra/redis/rateLimiter.js"
import * as RedisUserLock from "../infra/redis/userLock.js"
import * as SimulatedRail from "../ports/memory/settlementRail.js"
import { leaseSettings, railSettings, Settings } from "../settings.js"

/**
 * The real adapters of the gateway and worker runtimes, each configured here
 * from `Settings`: the one place that turns environment variables into options.
 */

/** MongoDB on MONGODB_URI: the PayoutStore, its event log and the webhooks (indexes ensured at start-up, connection retried). */
/** The Mongo store with the daily limit defaults of the settings. */
const MongoStoreLive = Layer.unwrapEffect(Effect.map(Settings.dailyPayoutLimits, MongoStore.layerWith))

export const Store = Layer.mergeAll(MongoStoreLive, MongoEventLog.layer, MongoWebhookStore.layer).pipe(
  Layer.provide(Mongo.layerConfig({ uri: Settings.mongoUri }))
)

/**
 * RabbitMQ: the PayoutQueue on RABBITMQ_URL (topology declared, reconnects on its
 * own; a failed delivery returns after RETRY_DELAY_MS). On shutdown in-flight
 * settlements get 10 s to finish before they are requeued.
 */
export const Queue = RabbitQueue.layerConfig({
  url: Settings.rabbitUrl,
  retryDelay: Config.map(Settings.retryDelayMs, Duration.millis),
  drainTimeout: Config.succeed(Duration.seconds(10))
})

/**
 * The simulated rail with its books in Redis under RAIL_SIM_PREFIX: one decision
 * per idempotency key for every worker and every restart (a real rail keeps its
 * own), remembered 30 days; its returns feed there too, so a simulated return
 * due while no worker runs is recorded by the next one.
 */
export const Rail = SimulatedRail.layerConfig(railSettings).pipe(
  Layer.provide(
    RedisRailBook.layerConfig({
      prefix: Settings.railSimPrefix,
      retentionMs: Config.succeed(Duration.toMillis(Duration.days(30)))
    })
  )
)

/** One Redis command connection shared by lock, limiter and event publisher; the bus subscribes on its own. */
export const Redis = RedisClient.layerConfig(Settings.redis)

export const RedisPorts = Layer.mergeAll(
  RedisUserLock.layerConfig(leaseSettings),
  RedisRateLimiter.layer,
  RedisEventBus.layer()
)

export const RedisEvents = RedisEventBus.layer()

/** OTLP traces to OTEL_EXPORTER_OTLP_ENDPOINT when it is set. */
export const tracing = (serviceName: string) =>
  Tracing.layerConfig({
    serviceName: Config.succeed(serviceName),
    endpoint: Config.map(Settings.otlpEndpoint, Option.getOrUndefined)
  })

/** PING on the shared connection, for /api/health/detailed. */
export const redisProbe = Effect.flatMap(RedisClient, (redis) =>
  Effect.tryPromise({ try: () => redis.ping(), catch: () => new ServiceUnavailable({ dependency: "redis" }) })
)
