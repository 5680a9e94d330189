import { Config, ConfigError, Either, LogLevel, Redacted } from "effect"
import { parseAmount } from "./domain/money.js"

/**
 * Every environment variable the services read, with its default. Layers read
 * only through these, so a bad value stops start-up with the variable's name.
 */
// Validate before defaulting: a failed validation then carries the variable's name.
const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  Config.integer(name).pipe(
    Config.validate({
      message:
        max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}` : `must be an integer from ${min} to ${max}`,
      validation: (n) => n >= min && n <= max
    }),
    Config.withDefault(fallback)
  )

const port = (name: string, fallback: number) => int(name, fallback, 0, 65_535)

const decimal = (name: string, fallback: string) =>
  Config.string(name).pipe(
    Config.withDefault(fallback),
    Config.mapOrFail((text) =>
      Either.mapLeft(parseAmount(text), () =>
        ConfigError.InvalidData([name], `Expected a decimal amount with at most 2 places, got ${text}`)
      )
    )
  )

/** JWT_MAX_TTL_SECONDS' default: a token may not expire later than a day from now. */
export const DEFAULT_JWT_MAX_TTL_SECONDS = 86_400

/** Per-socket limits of the Socket.IO hub (a flood from one socket stalled the whole server). */
export const DEFAULT_SOCKET_LIMITS = { maxPendingFrames: 16, maxFramesPerSecond: 20, maxAuthFailures: 10 } as const

export const Settings = {
  port: port("PORT", 3000),
  /** The worker's health and metrics server. */
  workerHealthPort: port("WORKER_HEALTH_PORT", 3001),
  jwtSecret: Config.redacted("JWT_SECRET").pipe(Config.option),
  /** A token whose `exp` lies further out than now + this is refused (`exp = 1e308` never expires). */
  jwtMaxTtlSeconds: int("JWT_MAX_TTL_SECONDS", DEFAULT_JWT_MAX_TTL_SECONDS, 1),
  processingDelayMs: int("PAYOUT_PROCESSING_DELAY_MS", 500),
  failureRate: Config.number("PAYOUT_FAILURE_RATE").pipe(
    Config.validate({ message: "must be between 0 and 1", validation: (n) => n >= 0 && n <= 1 }),
    Config.withDefault(0)
  ),
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
  /** Payouts idle this long in initiated/processing are re-driven by Recovery. */
  recoveryIdleMs: int("RECOVERY_IDLE_MS", 60_000, 1),
  recoveryIntervalMs: int("RECOVERY_INTERVAL_MS", 15_000, 1),
  /** A pending Idempotency-Key whose request died is taken over after this long. */
  idempotencyLeaseMs: int("IDEMPOTENCY_LEASE_MS", 60_000, 1),
  mongoUri: Config.redacted("MONGODB_URI").pipe(
    Config.withDefault(Redacted.make("mongodb://localhost:27017/swiftpay"))
  ),
  rabbitUrl: Config.redacted("RABBITMQ_URL").pipe(
    Config.withDefault(Redacted.make("amqp://guest:guest@localhost:5672"))
  ),
  otlpEndpoint: Config.string("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(Config.option),
  /** Proxies in front of the gateway that append to X-Forwarded-For; 0 trusts none. */
  trustProxyHops: int("TRUST_PROXY_HOPS", 0),
  socketLimits: Config.all({
    /** Frames queued behind the one being handled; one more cuts the socket off. */
    maxPendingFrames: int("SOCKET_MAX_PENDING_FRAMES", DEFAULT_SOCKET_LIMITS.maxPendingFrames, 1),
    maxFramesPerSecond: int("SOCKET_MAX_FRAMES_PER_SECOND", DEFAULT_SOCKET_LIMITS.maxFramesPerSecond, 1),
    /** Failed `authenticate` frames per socket; the last one is answered, then the socket is cut off. */
    maxAuthFailures: int("SOCKET_MAX_AUTH_FAILURES", DEFAULT_SOCKET_LIMITS.maxAuthFailures, 1)
  }),
  corsOrigin: Config.string("CORS_ORIGIN").pipe(Config.withDefault("*")),
  logLevel: Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info))
} as const
