import { isIP } from "node:net"
import { Config, ConfigError, Either, LogLevel, Option, Redacted } from "effect"
import type { LimitDefaults } from "./domain/limits.js"
import { type Currency, currencies, parseAmount } from "./domain/money.js"
import { DEFAULT_SOCKET_LIMITS } from "./infra/socketio/limits.js"

/**
 * Every environment variable the services read, with its default. Layers read
 * only through these, so a bad value stops start-up with the variable's name;
 * runtime/config.ts checks them all at once, with the rules between them.
 */
const invalid = (name: string, message: string) => ConfigError.InvalidData([name], message)

/**
 * Parse, then default: a value that is set but wrong is an error naming the
 * variable, never the default. (Config names the path of this one itself.)
 */
type Parse<A> = (text: string) => Either.Either<A, string>

const parsed = <A>(name: string, parse: Parse<A>) =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => Either.mapLeft(parse(text.trim()), (m) => ConfigError.InvalidData([], m)))
  )

const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  parsed(name, (text) => {
    const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`
    return n >= min && n <= max ? Either.right(n) : Either.left(`must be ${range}, got "${text}"`)
  }).pipe(Config.withDefault(fallback))

const port = (name: string, fallback: number) => int(name, fallback, 0, 65_535)

const decimal = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.withDefault(fallback),
    Config.mapOrFail((text) =>
      Either.mapLeft(parseAmount(text.trim()), () =>
        invalid(name, `must be a decimal amount with at most 2 places, like 10.50, got "${text}"`)
      )
    )
  )

/** A URL whose value may hold credentials: the message names the schemes, never the value. */
const secretUrl = (name: string, fallback: string, schemes: ReadonlyArray<string>) =>
  Config.redacted(name).pipe(
    Config.mapOrFail((url) =>
      schemes.some((s) => Redacted.value(url).startsWith(`${s}://`))
        ? Either.right(url)
        : Either.left(invalid(name, `must be a URL starting with ${schemes.map((s) => `${s}://`).join(" or ")}`))
    ),
    Config.withDefault(Redacted.make(fallback))
  )

/** The secret used when JWT_SECRET is unset: embedded development only, announced at start-up. Public, so never accepted as JWT_SECRET. */
export const DEVELOPMENT_SECRET = "swiftpay-development-secret-change-me-0123456789"
/** HS256 wants a 256-bit key. */
export const MIN_SECRET_LENGTH = 32

const jwtSecret = Config.redacted("JWT_SECRET").pipe(
  Config.mapOrFail((secret) => {
    const value = Redacted.value(secret)
    if (value === DEVELOPMENT_SECRET) {
      return Either.left(invalid("JWT_SECRET", "is the published development secret: set one of your own"))
    }
    return value.length < MIN_SECRET_LENGTH
      ? Either.left(invalid("JWT_SECRET", `must be at least ${MIN_SECRET_LENGTH} characters (openssl rand -base64 48)`))
      : Either.right(secret)
  }),
  Config.option
)

const hostName = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/
const host = parsed("HOST", (text) =>
  isIP(text) !== 0 || hostName.test(text)
    ? Either.right(text)
    : Either.left(
        `must be an address or host name to listen on, like 127.0.0.1, ::1 or 0.0.0.0 (no scheme, no port), got "${text}"`
      )
).pipe(Config.option)

const origin = /^https?:\/\/[^/\s,]+$/
const corsOrigin = parsed("CORS_ORIGIN", (text) =>
  text === "*" || text.split(",").every((o) => origin.test(o.trim()))
    ? Either.right(text)
    : Either.left(
        `must be * or a comma-separated list of origins like https://app.example.com (no path), got "${text}"`
      )
).pipe(Config.withDefault("*"))

const levels = LogLevel.allLevels.map((l) => l.label.toLowerCase())
const logLevel = parsed("LOG_LEVEL", (text) => {
  const level = LogLevel.allLevels.find((l) => l.label === text.toUpperCase())
  return level === undefined ? Either.left(`must be one of ${levels.join(", ")}, got "${text}"`) : Either.right(level)
}).pipe(Config.withDefault(LogLevel.Info))

const failureRate = parsed("PAYOUT_FAILURE_RATE", (text) => {
  const n = text === "" ? Number.NaN : Number(text)
  return n >= 0 && n <= 1 ? Either.right(n) : Either.left(`must be a number from 0 to 1, got "${text}"`)
}).pipe(Config.withDefault(0))
/** How to reach Redis: `REDIS_URL` wins; otherwise host, port, password and db. */
const redis = Config.all({
  url: Config.redacted("REDIS_URL").pipe(
    Config.mapOrFail((url) =>
      /^rediss?:\/\//.test(Redacted.value(url))
        ? Either.right(url)
        : Either.left(ConfigError.InvalidData(["REDIS_URL"], "must be a URL starting with redis:// or rediss://"))
    ),
    Config.option
  ),
  host: Config.string("REDIS_HOST").pipe(Config.withDefault("127.0.0.1")),
  port: Config.integer("REDIS_PORT").pipe(
    Config.validate({ message: "must be a port from 1 to 65535", validation: (n) => n >= 1 && n <= 65_535 }),
    Config.withDefault(6379)
  ),
  password: Config.redacted("REDIS_PASSWORD").pipe(Config.option),
  db: Config.integer("REDIS_DB").pipe(
    Config.validate({ message: "must be an integer between 0 and 15", validation: (n) => n >= 0 && n <= 15 }),
    Config.withDefault(0)
  )
}).pipe(
  Config.map(({ url, host, port, password, db }) => ({
    url: Option.getOrUndefined(url),
    host,
    port,
    password: Option.getOrUndefined(password),
    db
  }))
)

/**
 * A per-currency value: `500` for every currency, or `USD:500,EUR:400` (a
 * currency not named has none). Empty: none for any.
 */
type ParseOne<A> = (text: string) => A | undefined

const perCurrency = <A>(name: string, what: string, parse: ParseOne<A>) =>
  parsed(name, (text): Either.Either<Partial<Record<Currency, A>>, string> => {
    if (text === "") return Either.right({})
    const problem = `must be ${what} for every currency, or a list like USD:${what === "a count" ? "100" : "5000.00"},EUR:... (currencies ${currencies.join(", ")}), got "${text}"`
    if (!text.includes(":")) {
      const all = parse(text)
      return all === undefined
        ? Either.left(problem)
        : Either.right(Object.fromEntries(currencies.map((c) => [c, all])))
    }
    const out: Partial<Record<Currency, A>> = {}
    for (const part of text.split(",")) {
      const [code, value, ...rest] = part.trim().split(":")
      const currency = currencies.find((c) => c === code?.trim().toUpperCase())
      const parsedValue = value === undefined ? undefined : parse(value.trim())
      if (currency === undefined || parsedValue === undefined || rest.length > 0 || currency in out) {
        return Either.left(problem)
      }
      out[currency] = parsedValue
    }
    return Either.right(out)
  }).pipe(Config.withDefault<Partial<Record<Currency, A>>>({}))

/** DAILY_PAYOUT_AMOUNT_LIMIT and DAILY_PAYOUT_COUNT_LIMIT, merged per currency (unset: no limit). */
const dailyPayoutLimits: Config.Config<LimitDefaults> = Config.all({
  amount: perCurrency("DAILY_PAYOUT_AMOUNT_LIMIT", "a decimal amount", (text) =>
    Either.getOrUndefined(
      Either.filterOrLeft(
        parseAmount(text),
        (n) => n > 0,
        () => "zero"
      )
    )
  ),
  count: perCurrency("DAILY_PAYOUT_COUNT_LIMIT", "a count", (text) =>
    /^\d+$/.test(text) && Number(text) > 0 && Number.isSafeInteger(Number(text)) ? Number(text) : undefined
  )
}).pipe(
  Config.map(({ amount, count }) =>
    Object.fromEntries(
      currencies
        .filter((c) => amount[c] !== undefined || count[c] !== undefined)
        .map((c) => [c, { amount: amount[c] ?? null, count: count[c] ?? null }])
    )
  )
)

/** JWT_MAX_TTL_SECONDS' default: a token may not expire later than a day from now. */
export const DEFAULT_JWT_MAX_TTL_SECONDS = 86_400

export const Settings = {
  port: port("PORT", 3000),
  /** Where HTTP listens; unset: the runtime's default (embedded: 127.0.0.1; gateway and worker: every interface). */
  host,
  /** The worker's health and metrics server. */
  workerHealthPort: port("WORKER_HEALTH_PORT", 3001),
  jwtSecret,
  /** A token whose `exp` lies further out than now + this is refused (`exp = 1e308` never expires). */
  jwtMaxTtlSeconds: int("JWT_MAX_TTL_SECONDS", DEFAULT_JWT_MAX_TTL_SECONDS, 1),
  processingDelayMs: int("PAYOUT_PROCESSING_DELAY_MS", 500),
  failureRate,
  minPayoutMinor: decimal("MIN_PAYOUT_AMOUNT", "0.01"),
  maxPayoutMinor: decimal("MAX_PAYOUT_AMOUNT", "1000000"),
  rateLimitWindowMs: int("RATE_LIMIT_WINDOW_MS", 60_000, 1),
  rateLimitMaxRequests: int("RATE_LIMIT_MAX_REQUESTS", 100, 1),
  userRateLimitMaxRequests: int("USER_RATE_LIMIT_MAX_REQUESTS", 10, 1),
  lockTtlMs: int("LOCK_TTL_MS", 10_000, 1),
  lockRetryDelayMs: int("LOCK_RETRY_DELAY_MS", 100, 1),
  lockRetryCount: int("LOCK_RETRY_COUNT", 50),
  workerConcurrency: int("WORKER_CONCURRENCY", 10, 1),
  maxRetryAttempts: int("MAX_RETRY_ATTEMPTS", 3, 1),
  retryDelayMs: int("RETRY_DELAY_MS", 1000, 1),
  /** A payout nobody works on (initiated, or its lease expired) and off the queue this long is re-queued by Recovery. */
  recoveryIdleMs: int("RECOVERY_IDLE_MS", 60_000, 1),
  recoveryIntervalMs: int("RECOVERY_INTERVAL_MS", 5_000, 1),
  /** Payouts Recovery re-queues in one pass at most. */
  recoveryBatchSize: int("RECOVERY_BATCH_SIZE", 500, 1, 10_000),
  /** The event relay publishes recorded events the fast path has not marked, this often (and this long after they were recorded). */
  relayIntervalMs: int("RELAY_INTERVAL_MS", 1_000, 10),
  /** Recorded events every sink has are dropped once older than this. */
  eventRetentionMs: int("EVENT_RETENTION_MS", 30 * 24 * 60 * 60 * 1000, 1),
  /** A settlement attempt's lease on its payout, renewed every third of it while the rail call runs. */
  settlementLeaseMs: int("SETTLEMENT_LEASE_MS", 30_000, 300),
  /** Consecutive transient rail failures (or unknown outcomes) that open the rail's circuit breaker. */
  railBreakerThreshold: int("RAIL_BREAKER_THRESHOLD", 5, 1),
  /** How long an open rail breaker keeps the worker off the rail before one trial call. */
  railBreakerCooldownMs: int("RAIL_BREAKER_COOLDOWN_MS", 30_000, 1),
  /** A rail call with no answer after this long is an unknown outcome: asked again later, never released. */
  railTimeoutMs: int("RAIL_TIMEOUT_MS", 30_000, 1),
  /** How long intake waits for the broker's confirm before leaving the payout to Recovery. */
  queuePublishTimeoutMs: int("QUEUE_PUBLISH_TIMEOUT_MS", 1_000, 1),
  /** After a failed intake publish, intake skips the broker for this long (the payouts wait for Recovery). */
  queueBreakerCooldownMs: int("QUEUE_BREAKER_COOLDOWN_MS", 2_000, 0),
  /** `metadata.simulate = "return"`: the simulated bank reports the paid payout returned this long after paying it. */
  railSimulatedReturnDelayMs: int("RAIL_SIMULATED_RETURN_DELAY_MS", 5_000),
  /** Where the simulated rail keeps its decisions and statement in Redis (gateway/worker runtimes). */
  railSimPrefix: Config.string("RAIL_SIM_PREFIX").pipe(Config.withDefault("railsim:")),
  /** Per user and currency, per UTC day: checked in the reserve's own atomic step (a user's override wins). */
  dailyPayoutLimits,
  /** More than this many payouts for one user within VELOCITY_WINDOW_SECONDS: 429 VELOCITY_LIMIT (0: no check). */
  velocityMaxPayouts: int("VELOCITY_MAX_PAYOUTS", 0),
  velocityWindowSeconds: int("VELOCITY_WINDOW_SECONDS", 60, 1, 86_400),
  /** How far ahead `scheduledFor` may lie, in days. */
  scheduleMaxDays: int("SCHEDULE_MAX_DAYS", 90, 1, 3_650),
  /** A pending Idempotency-Key whose request died is taken over after this long. */
  idempotencyLeaseMs: int("IDEMPOTENCY_LEASE_MS", 60_000, 1),
  mongoUri: secretUrl("MONGODB_URI", "mongodb://localhost:27017/swiftpay", ["mongodb", "mongodb+srv"]),
  rabbitUrl: secretUrl("RABBITMQ_URL", "amqp://guest:guest@localhost:5672", ["amqp", "amqps"]),
  otlpEndpoint: parsed("OTEL_EXPORTER_OTLP_ENDPOINT", (text) =>
    /^https?:\/\/\S+$/.test(text)
      ? Either.right(text)
      : Either.left(`must be an http:// or https:// URL, got "${text}"`)
  ).pipe(Config.option),
  /** A webhook attempt with no answer after this long is a failed attempt. */
  webhookTimeoutMs: int("WEBHOOK_TIMEOUT_MS", 10_000, 1, 60_000),
  /** The worker looks for new events and due webhook deliveries this often. */
  webhookPollIntervalMs: int("WEBHOOK_POLL_INTERVAL_MS", 1_000, 10),
  /** The first retry's delay; each next one is 3 times longer (jittered), capped at WEBHOOK_RETRY_MAX_DELAY_MS. */
  webhookRetryBaseMs: int("WEBHOOK_RETRY_BASE_MS", 5_000, 1),
  webhookRetryMaxDelayMs: int("WEBHOOK_RETRY_MAX_DELAY_MS", 10 * 60 * 60 * 1000, 1),
  /** Attempts per delivery, the first included; then it is marked failed. The defaults span about a day. */
  webhookMaxAttempts: int("WEBHOOK_MAX_ATTEMPTS", 11, 1, 100),
  /** Deliveries one worker has in flight at once. */
  webhookConcurrency: int("WEBHOOK_CONCURRENCY", 10, 1, 1_000),
  webhookMaxEndpointsPerUser: int("WEBHOOK_MAX_ENDPOINTS_PER_USER", 10, 1, 1_000),
  /** Endpoint URLs may be http:// (development only). */
  webhookAllowHttp: Config.boolean("WEBHOOK_ALLOW_HTTP").pipe(Config.withDefault(false)),
  /** Endpoint URLs may resolve to loopback, private or link-local addresses (tests and local development only). */
  webhookAllowPrivateUrls: Config.boolean("WEBHOOK_ALLOW_PRIVATE_URLS").pipe(Config.withDefault(false)),
  /** Proxies in front of the gateway that append to X-Forwarded-For; 0 trusts none. */
  trustProxyHops: int("TRUST_PROXY_HOPS", 0),
  corsOrigin,
  logLevel,
  redis,
  socketLimits: Config.all({
    /** Frames queued behind the one being handled; one more cuts the socket off. */
    maxPendingFrames: int("SOCKET_MAX_PENDING_FRAMES", DEFAULT_SOCKET_LIMITS.maxPendingFrames, 1),
    maxFramesPerSecond: int("SOCKET_MAX_FRAMES_PER_SECOND", DEFAULT_SOCKET_LIMITS.maxFramesPerSecond, 1),
    /** Failed `authenticate` frames per socket; the last one is answered, then the socket is cut off. */
    maxAuthFailures: int("SOCKET_MAX_AUTH_FAILURES", DEFAULT_SOCKET_LIMITS.maxAuthFailures, 1)
  })
} as const

/** LOCK_TTL_MS, LOCK_RETRY_DELAY_MS, LOCK_RETRY_COUNT: the per-user intake lease (memory or Redis). */
export const leaseSettings = Config.all({
  ttlMs: Settings.lockTtlMs,
  retryDelayMs: Settings.lockRetryDelayMs,
  retryCount: Settings.lockRetryCount
})

/** When a failed webhook attempt is tried again, and when a delivery gives up. */
export const webhookRetrySettings = Config.all({
  baseMs: Settings.webhookRetryBaseMs,
  maxDelayMs: Settings.webhookRetryMaxDelayMs,
  maxAttempts: Settings.webhookMaxAttempts
})

/** Where webhook URLs may point, checked when an endpoint is saved and again on every connection. */
export const webhookUrlSettings = Config.all({
  allowHttp: Settings.webhookAllowHttp,
  allowPrivate: Settings.webhookAllowPrivateUrls
})

/** PAYOUT_PROCESSING_DELAY_MS, PAYOUT_FAILURE_RATE and RAIL_SIMULATED_RETURN_DELAY_MS: how the simulated rail behaves. */
export const railSettings = Config.all({
  processingDelayMs: Settings.processingDelayMs,
  failureRate: Settings.failureRate,
  returnDelayMs: Settings.railSimulatedReturnDelayMs
})
