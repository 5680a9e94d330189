import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { check, type RuntimeName } from "../../src/runtime/config.js"
import { describeConfigError } from "../../src/runtime/launch.js"
import { DEVELOPMENT_SECRET } from "../../src/settings.js"

const SECRET = "a-real-secret-of-forty-characters-0000000"

/** The lines start-up would print for this environment; [] when it starts. */
const complaints = (runtime: RuntimeName, env: Record<string, string>) =>
  check(runtime).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.match({ onFailure: describeConfigError, onSuccess: () => [] })
  )

const variables = (lines: ReadonlyArray<string>) => lines.map((l) => l.slice(0, l.indexOf(":")))

describe("start-up configuration check", () => {
  it.effect("the defaults start every runtime (the gateway with a JWT_SECRET of its own)", () =>
    Effect.gen(function* () {
      expect(yield* complaints("embedded", {})).toEqual([])
      expect(yield* complaints("gateway", { JWT_SECRET: SECRET })).toEqual([])
      expect(yield* complaints("worker", {})).toEqual([])
    })
  )

  it.effect("names every bad variable at once, each with what is wrong", () =>
    Effect.gen(function* () {
      const env = { PORT: "abc", LOG_LEVEL: "verbose", WORKER_CONCURRENCY: "-1", CORS_ORIGIN: "" }
      for (const runtime of ["embedded", "gateway", "worker"] as const) {
        const lines = yield* complaints(runtime, { ...env, JWT_SECRET: SECRET })
        expect(variables(lines).sort()).toEqual(["CORS_ORIGIN", "LOG_LEVEL", "PORT", "WORKER_CONCURRENCY"])
      }
      const lines = yield* complaints("embedded", env)
      expect(lines).toContain('PORT: must be an integer from 0 to 65535, got "abc"')
      expect(lines).toContain('WORKER_CONCURRENCY: must be an integer ≥ 1, got "-1"')
      expect(lines.find((l) => l.startsWith("LOG_LEVEL"))).toMatch(/one of .*warn.*, got "verbose"/)
      expect(lines.find((l) => l.startsWith("CORS_ORIGIN"))).toMatch(/comma-separated list of origins/)
    })
  )

  it.effect("checks the rules between settings, next to the settings' own errors", () =>
    Effect.gen(function* () {
      const lines = yield* complaints("embedded", { MIN_PAYOUT_AMOUNT: "500", MAX_PAYOUT_AMOUNT: "10", PORT: "x" })
      expect(variables(lines).sort()).toEqual(["MIN_PAYOUT_AMOUNT", "PORT"])
      expect(lines).toContain(
        "MIN_PAYOUT_AMOUNT: 500.00 is more than MAX_PAYOUT_AMOUNT (10.00): no amount could be paid out"
      )
      expect(yield* complaints("embedded", { MIN_PAYOUT_AMOUNT: "0" })).toEqual([
        "MIN_PAYOUT_AMOUNT: must be more than 0"
      ])
      expect(variables(yield* complaints("worker", { SETTLEMENT_LEASE_MS: "100" }))).toEqual(["SETTLEMENT_LEASE_MS"])
      // Recovery need not outlast the rail: a live attempt renews its lease
      expect(yield* complaints("worker", { RECOVERY_IDLE_MS: "500", PAYOUT_PROCESSING_DELAY_MS: "9000" })).toEqual([])
      expect(
        variables(yield* complaints("embedded", { IDEMPOTENCY_LEASE_MS: "1000", LOCK_RETRY_COUNT: "20" }))
      ).toEqual(["IDEMPOTENCY_LEASE_MS"])
      // a rule whose input is itself bad is not reported twice
      expect(variables(yield* complaints("embedded", { MIN_PAYOUT_AMOUNT: "lots" }))).toEqual(["MIN_PAYOUT_AMOUNT"])
    })
  )

  it.effect("connection settings: the runtimes that use them check them, never printing the value", () =>
    Effect.gen(function* () {
      const env = {
        JWT_SECRET: SECRET,
        MONGODB_URI: "http://user:hunter2@db",
        RABBITMQ_URL: "rabbit",
        REDIS_URL: "localhost:6379",
        OTEL_EXPORTER_OTLP_ENDPOINT: "jaeger:4318"
      }
      const lines = yield* complaints("gateway", env)
      expect(variables(lines).sort()).toEqual([
        "MONGODB_URI",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "RABBITMQ_URL",
        "REDIS_URL"
      ])
      expect(lines.join("\n")).not.toMatch(/hunter2/)
      expect(yield* complaints("embedded", env)).toEqual([])
    })
  )

  it.effect("JWT_SECRET, whenever it is set, is at least 32 characters and not the development secret", () =>
    Effect.gen(function* () {
      for (const runtime of ["embedded", "gateway"] as const) {
        expect(yield* complaints(runtime, { JWT_SECRET: "x" })).toEqual([
          "JWT_SECRET: must be at least 32 characters (openssl rand -base64 48)"
        ])
        expect(yield* complaints(runtime, { JWT_SECRET: DEVELOPMENT_SECRET })).toEqual([
          "JWT_SECRET: is the published development secret: set one of your own"
        ])
      }
      expect(yield* complaints("gateway", {})).toEqual([
        "JWT_SECRET: must be set (HS256 key for bearer tokens, at least 32 characters)"
      ])
    })
  )

  it.effect("embedded: the development secret only on a loopback HOST", () =>
    Effect.gen(function* () {
      for (const host of ["127.0.0.1", "::1", "localhost", "127.0.0.2"]) {
        expect(yield* complaints("embedded", { HOST: host })).toEqual([])
      }
      for (const host of ["0.0.0.0", "::", "192.168.1.20", "swiftpay.example.com"]) {
        const lines = yield* complaints("embedded", { HOST: host })
        expect(lines).toHaveLength(1)
        expect(lines[0]).toMatch(
          new RegExp(`^HOST: ${host.replace(/\./g, "\\.")} is reachable from other machines.*set JWT_SECRET`)
        )
        expect(yield* complaints("embedded", { HOST: host, JWT_SECRET: SECRET })).toEqual([])
      }
      expect(variables(yield* complaints("gateway", { HOST: "http://0.0.0.0:3000", JWT_SECRET: SECRET }))).toEqual([
        "HOST"
      ])
    })
  )
})
