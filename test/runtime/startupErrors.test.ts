import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Logger, LogLevel, Option, Redacted, Schedule } from "effect"
import { ServiceUnavailable } from "../../src/domain/index.js"
import { Mongo } from "../../src/infra/mongo/client.js"
import { RedisClient } from "../../src/infra/redis/client.js"
import { describeStartupFailure } from "../../src/runtime/startupErrors.js"

/** What start-up prints for the failure of building `layer` (nothing listens on port 1). */
const startupLine = <A, E>(layer: Layer.Layer<A, E>) =>
  Layer.build(layer).pipe(
    Effect.scoped,
    Effect.flip,
    Effect.flatMap(describeStartupFailure),
    Effect.map(Option.getOrElse(() => "(no line)")),
    Effect.provide(Logger.minimumLogLevel(LogLevel.Error))
  )

describe("start-up failures in one line: what, where, what to do", () => {
  it.live("Redis unreachable names its address (password masked) and the driver's reason", () =>
    Effect.gen(function* () {
      const line = yield* startupLine(
        RedisClient.layer({ url: Redacted.make("redis://:s3cret@127.0.0.1:1/2"), connectRetry: Schedule.recurs(1) })
      )
      expect(line).toBe(
        "Redis at redis://:****@127.0.0.1:1/2 is unreachable (connect ECONNREFUSED 127.0.0.1:1). Start Redis, or point REDIS_URL (or REDIS_HOST / REDIS_PORT / REDIS_PASSWORD) at it."
      )
      const byParts = yield* startupLine(RedisClient.layer({ host: "127.0.0.1", port: 1, connectRetry: Schedule.stop }))
      expect(byParts).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:1\/0 is unreachable \(connect ECONNREFUSED/)
    })
  )

  it.live("MongoDB unreachable names the URI it tried, credentials masked", () =>
    Effect.gen(function* () {
      const line = yield* startupLine(
        Mongo.layer({
          uri: Redacted.make("mongodb://bob:hunter2@127.0.0.1:1/swiftpay?authSource=admin"),
          serverSelectionTimeoutMS: 200,
          connectRetry: Schedule.stop
        })
      )
      expect(line).toMatch(
        /^MongoDB at mongodb:\/\/bob:\*\*\*\*@127\.0\.0\.1:1\/swiftpay\?authSource=admin is unreachable \(.*ECONNREFUSED.*\)\. Start MongoDB \(a replica set\), or point MONGODB_URI at it\.$/
      )
      expect(line).not.toMatch(/hunter2/)
    })
  )

  it.effect("a dependency that does not say where is looked up in its setting", () =>
    Effect.gen(function* () {
      const line = yield* describeStartupFailure(new ServiceUnavailable({ dependency: "rabbitmq" })).pipe(
        Effect.withConfigProvider(ConfigProvider.fromJson({ RABBITMQ_URL: "amqp://u:pw@mq:5672" }))
      )
      expect(line).toEqual(
        Option.some("RabbitMQ at amqp://u:****@mq:5672 is unreachable. Start RabbitMQ, or point RABBITMQ_URL at it.")
      )
      expect(yield* describeStartupFailure(new Error("a bug"))).toEqual(Option.none())
    })
  )
})
