import { describe, expect, it } from "vitest"
import { dotenvNames, envVarsReadByCode, readRepoFile } from "./repo.js"

describe(".env.example", () => {
  const documented = dotenvNames(readRepoFile(".env.example"))
  const read = envVarsReadByCode()

  it("the scanner finds the variables read through Config and settings.ts helpers", () => {
    for (const name of ["PORT", "JWT_SECRET", "MIN_PAYOUT_AMOUNT", "MONGODB_URI", "LOG_LEVEL", "REDIS_HOST"]) {
      expect(read, `${name} should be found in src/`).toContain(name)
    }
  })

  it("documents every environment variable the code reads", () => {
    const missing = [...read].filter((name) => !documented.has(name)).sort()
    expect(missing, "add these to .env.example (commented out, with their default)").toEqual([])
  })

  it("documents the variables of docs/api.md and the worker health port", () => {
    const contract = [
      "PORT",
      "JWT_SECRET",
      "PAYOUT_PROCESSING_DELAY_MS",
      "PAYOUT_FAILURE_RATE",
      "MIN_PAYOUT_AMOUNT",
      "MAX_PAYOUT_AMOUNT",
      "RATE_LIMIT_WINDOW_MS",
      "RATE_LIMIT_MAX_REQUESTS",
      "USER_RATE_LIMIT_MAX_REQUESTS",
      "LOCK_TTL_MS",
      "LOCK_RETRY_DELAY_MS",
      "LOCK_RETRY_COUNT",
      "WORKER_CONCURRENCY",
      "MAX_RETRY_ATTEMPTS",
      "RETRY_DELAY_MS",
      "MONGODB_URI",
      "REDIS_URL",
      "REDIS_HOST",
      "REDIS_PORT",
      "REDIS_PASSWORD",
      "REDIS_DB",
      "RABBITMQ_URL",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "LOG_LEVEL",
      "CORS_ORIGIN",
      "WORKER_HEALTH_PORT"
    ]
    expect(contract.filter((name) => !documented.has(name))).toEqual([])
  })
})
