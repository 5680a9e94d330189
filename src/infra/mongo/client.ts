import { Config, type ConfigError, Context, Effect, Layer, Redacted, Schedule, type Scope } from "effect"
import { type Db, MongoClient } from "mongodb"
import { ServiceUnavailable } from "../../domain/index.js"
import { describeCause, maskUrl } from "../address.js"

export interface MongoOptions {
  readonly uri: Redacted.Redacted<string>
  /** Defaults to the database named in the URI. */
  readonly database?: string | undefined
  readonly serverSelectionTimeoutMS?: number | undefined
  /** Start-up connection attempts (default: up to 60 s); the layer then fails with ServiceUnavailable. */
  readonly connectRetry?: Schedule.Schedule<unknown, unknown> | undefined
}

export interface MongoShape {
  readonly client: MongoClient
  readonly db: Db
}

/** A connected MongoClient and its database, closed when the layer's scope ends. */
export class Mongo extends Context.Tag("swiftpay/infra/Mongo")<Mongo, MongoShape>() {
  static readonly layer = (options: MongoOptions): Layer.Layer<Mongo, ServiceUnavailable> =>
    Layer.scoped(Mongo, make(options))

  static readonly layerConfig = (
    config: Config.Config.Wrap<MongoOptions>
  ): Layer.Layer<Mongo, ServiceUnavailable | ConfigError.ConfigError> =>
    Layer.scoped(Mongo, Effect.flatMap(Config.unwrap(config), make))
}

/** MongoDB may still be electing a primary when the services start (docker compose): wait for it, but not forever. */
const defaultConnectRetry: Schedule.Schedule<unknown, unknown> = Schedule.exponential("250 millis").pipe(
  Schedule.jittered,
  Schedule.upTo("60 seconds")
)

export const make = (options: MongoOptions): Effect.Effect<MongoShape, ServiceUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const client = yield* Effect.acquireRelease(
      Effect.try(
        () =>
          new MongoClient(Redacted.value(options.uri), {
            serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5_000,
            writeConcern: { w: "majority" },
            readPreference: "primary"
          })
      ).pipe(Effect.orDie),
      (client) => Effect.promise(() => client.close())
    )
    const at = maskUrl(Redacted.value(options.uri))
    yield* Effect.tryPromise({
      try: () => client.connect(),
      catch: (cause) => new ServiceUnavailable({ dependency: "mongodb", at, reason: describeCause(cause) })
    }).pipe(
      Effect.tapError((e) => Effect.logWarning(`MongoDB at ${at} is not reachable yet, retrying: ${e.reason}`)),
      Effect.retry(options.connectRetry ?? defaultConnectRetry),
      Effect.withSpan("Mongo.connect")
    )
    return { client, db: client.db(options.database) }
  })
