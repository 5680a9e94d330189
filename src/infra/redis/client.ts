import { type ConfigError, Context, Duration, Effect, Layer, Redacted, Schedule, type Scope } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import { ServiceUnavailable } from "../../domain/errors.js"
import { RedisConfig, type RedisConnectOptions } from "./config.js"

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

const describe = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export const unavailable = (cause: unknown) =>
  Effect.logDebug(`redis command failed: ${describe(cause)}`).pipe(
    Effect.zipRight(new ServiceUnavailable({ dependency: "redis" }))
  )

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
      // failures reach callers through the commands that fail; the event only needs a listener
      client.on("error", () => {})
      try {
        await client.connect()
        return client
      } catch (error) {
        client.disconnect()
        throw error
      }
    },
    catch: (cause) => cause
  })

const quit = (client: Redis) =>
  Effect.promise(() => client.quit().catch(() => client.disconnect())).pipe(
    Effect.interruptible,
    Effect.timeoutTo({ duration: "2 seconds", onSuccess: () => undefined, onTimeout: () => client.disconnect() })
  )

/** A connected ioredis client that lives as long as the scope; start-up is retried with `connectRetry`. */
export const acquire = (
  create: () => Redis,
  retry: Schedule.Schedule<unknown, unknown> = defaultConnectRetry
): Effect.Effect<Redis, ServiceUnavailable, Scope.Scope> =>
  Effect.acquireRelease(
    connectOnce(create).pipe(
      Effect.tapError((cause) => Effect.logWarning(`redis connect failed, retrying: ${describe(cause)}`)),
      Effect.retry(retry),
      Effect.catchAll(unavailable)
    ),
    quit
  )

export const make = (options: RedisClientOptions): Effect.Effect<Redis, ServiceUnavailable, Scope.Scope> => {
  const driver = driverOptions(options)
  const url = options.url
  return acquire(
    () => (url === undefined ? new Redis(driver) : new Redis(Redacted.value(url), driver)),
    options.connectRetry
  )
}

/** The shared command connection. Pub/sub subscribers take their own (see EventBus). */
export class RedisClient extends Context.Tag("swiftpay/infra/RedisClient")<RedisClient, Redis>() {
  static readonly layer = (options: RedisClientOptions = {}): Layer.Layer<RedisClient, ServiceUnavailable> =>
    Layer.scoped(RedisClient, make(options))

  static readonly layerConfig = (
    overrides: Omit<RedisClientOptions, keyof RedisConnectOptions> = {}
  ): Layer.Layer<RedisClient, ServiceUnavailable | ConfigError.ConfigError> =>
    Layer.scoped(
      RedisClient,
      Effect.flatMap(RedisConfig, (config) => make({ ...config, ...overrides }))
    )
}
