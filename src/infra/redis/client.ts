import { Config, type ConfigError, Context, Duration, Effect, Layer, Redacted, Schedule, type Scope } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import { ServiceUnavailable } from "../../domain/errors.js"
import { describeCause, maskUrl } from "../address.js"
import type { RedisConnectOptions } from "./config.js"

export interface RedisClientOptions extends RedisConnectOptions {
  /** A command that gets no answer in this time fails (ServiceUnavailable), instead of queueing through an outage. */
  readonly commandTimeout?: Duration.DurationInput | undefined
  /** Start-up connection attempts; the layer fails with ServiceUnavailable when it gives up. */
  readonly connectRetry?: Schedule.Schedule<unknown, unknown> | undefined
  /** Name shown by `CLIENT LIST`. */
  readonly connectionName?: string | undefined
}

export const defaultConnectRetry: Schedule.Schedule<unknown, unknown> = Schedule.exponential("100 millis").pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("2 seconds")),
  Schedule.upTo("30 seconds")
)

export const unavailable = (cause: unknown) =>
  Effect.logDebug(`redis command failed: ${describeCause(cause)}`).pipe(
    Effect.zipRight(new ServiceUnavailable({ dependency: "redis" }))
  )

/** Where the client connects, for messages: the URL with its password masked, or host:port/db. */
const addressOf = (options: RedisClientOptions): string =>
  options.url === undefined
    ? `redis://${options.host ?? "127.0.0.1"}:${options.port ?? 6379}/${options.db ?? 0}`
    : maskUrl(Redacted.value(options.url))

const driverOptions = (options: RedisClientOptions): RedisOptions => ({
  lazyConnect: true,
  // after start-up ioredis reconnects by itself; a command waits for at most one reconnect
  maxRetriesPerRequest: 1,
  commandTimeout: Duration.toMillis(options.commandTimeout ?? "2 seconds"),
  ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
  ...(options.url === undefined
    ? {
        host: options.host ?? "127.0.0.1",
        port: options.port ?? 6379,
        db: options.db ?? 0,
        ...(options.password === undefined ? {} : { password: Redacted.value(options.password) })
      }
    : {})
})

const connectOnce = (create: () => Redis) =>
  Effect.tryPromise({
    try: async () => {
      const client = create()
      // After start-up, failures reach callers through the commands that fail; the event only needs a listener.
      // During connect() it carries the real cause (connect() itself only says "Connection is closed.").
      let lastError: unknown
      const remember = (error: unknown) => {
        lastError = error
      }
      client.on("error", remember)
      try {
        await client.connect()
        client.off("error", remember)
        client.on("error", () => {})
        return client
      } catch (error) {
        client.disconnect()
        throw lastError ?? error
      }
    },
    catch: (cause) => cause
  })

const quit = (client: Redis) =>
  Effect.promise(() => client.quit().catch(() => client.disconnect())).pipe(
    Effect.interruptible,
    Effect.timeoutTo({ duration: "2 seconds", onSuccess: () => undefined, onTimeout: () => client.disconnect() })
  )

/**
 * A connected ioredis client that lives as long as the scope; start-up is retried
 * with `connectRetry`, then fails with ServiceUnavailable saying where and why.
 */
export const acquire = (
  create: () => Redis,
  retry: Schedule.Schedule<unknown, unknown> = defaultConnectRetry,
  at?: string
): Effect.Effect<Redis, ServiceUnavailable, Scope.Scope> =>
  Effect.acquireRelease(
    connectOnce(create).pipe(
      Effect.tapError((cause) =>
        Effect.logWarning(
          `redis${at === undefined ? "" : ` at ${at}`} not reachable yet, retrying: ${describeCause(cause)}`
        )
      ),
      Effect.retry(retry),
      Effect.mapError((cause) => new ServiceUnavailable({ dependency: "redis", at, reason: describeCause(cause) }))
    ),
    quit
  )

export const make = (options: RedisClientOptions): Effect.Effect<Redis, ServiceUnavailable, Scope.Scope> => {
  const driver = driverOptions(options)
  const url = options.url
  return acquire(
    () => (url === undefined ? new Redis(driver) : new Redis(Redacted.value(url), driver)),
    options.connectRetry,
    addressOf(options)
  )
}

/** The shared command connection. Pub/sub subscribers take their own (see EventBus). */
export class RedisClient extends Context.Tag("swiftpay/infra/RedisClient")<RedisClient, Redis>() {
  static readonly layer = (options: RedisClientOptions = {}): Layer.Layer<RedisClient, ServiceUnavailable> =>
    Layer.scoped(RedisClient, make(options))

  static readonly layerConfig = (
    config: Config.Config.Wrap<RedisClientOptions>
  ): Layer.Layer<RedisClient, ServiceUnavailable | ConfigError.ConfigError> =>
    Layer.scoped(RedisClient, Effect.flatMap(Config.unwrap(config), make))
}
