import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Effect } from "effect"
import { describeConfigError } from "../src/runtime/launch.js"
import { Settings } from "../src/settings.js"

const everything = Config.all(Settings)

/** What start-up would print for this environment, or null when it parses. */
const complaint = (env: Record<string, string>) =>
  everything.pipe(
    Effect.withConfigProvider(ConfigProvider.fromJson(env)),
    Effect.match({ onFailure: (e) => describeConfigError(e).join("\n"), onSuccess: () => null })
  )

describe("Settings", () => {
  it.effect("the defaults parse", () => Effect.map(complaint({}), (c) => expect(c).toBeNull()))

  it.effect("daily limits: one value for every currency, or per currency; amounts in minor units", () =>
    Effect.gen(function* () {
      const limits = (env: Record<string, string>) =>
        Effect.withConfigProvider(Settings.dailyPayoutLimits, ConfigProvider.fromJson(env))
      expect(yield* limits({})).toEqual({})
      expect(yield* limits({ DAILY_PAYOUT_COUNT_LIMIT: "10" })).toEqual({
        USD: { amount: null, count: 10 },
        EUR: { amount: null, count: 10 },
        GBP: { amount: null, count: 10 },
        INR: { amount: null, count: 10 }
      })
      expect(
        yield* limits({ DAILY_PAYOUT_AMOUNT_LIMIT: "usd:500.50, EUR:400", DAILY_PAYOUT_COUNT_LIMIT: "EUR:3" })
      ).toEqual({ USD: { amount: 50_050, count: null }, EUR: { amount: 40_000, count: 3 } })
    })
  )

  const bad: ReadonlyArray<[string, string]> = [
    ["PORT", "abc"],
    ["PORT", "-1"],
    ["PORT", "70000"],
    ["WORKER_HEALTH_PORT", "65536"],
    ["JWT_MAX_TTL_SECONDS", "0"],
    ["PAYOUT_PROCESSING_DELAY_MS", "-1"],
    ["PAYOUT_FAILURE_RATE", "2"],
    ["PAYOUT_FAILURE_RATE", "abc"],
    ["MIN_PAYOUT_AMOUNT", "0.001"],
    ["MAX_PAYOUT_AMOUNT", "lots"],
    ["RATE_LIMIT_WINDOW_MS", "0"],
    ["WORKER_CONCURRENCY", "0"],
    ["LOCK_TTL_MS", "0"],
    ["TRUST_PROXY_HOPS", "-1"],
    ["SOCKET_MAX_PENDING_FRAMES", "0"],
    ["SOCKET_MAX_FRAMES_PER_SECOND", "0"],
    ["SOCKET_MAX_AUTH_FAILURES", "many"],
    ["LOG_LEVEL", "loud"],
    ["REDIS_DB", "16"],
    ["DAILY_PAYOUT_AMOUNT_LIMIT", "0"],
    ["DAILY_PAYOUT_AMOUNT_LIMIT", "USD:10.001"],
    ["DAILY_PAYOUT_AMOUNT_LIMIT", "XYZ:10"],
    ["DAILY_PAYOUT_AMOUNT_LIMIT", "USD:10,USD:20"],
    ["DAILY_PAYOUT_COUNT_LIMIT", "1.5"],
    ["DAILY_PAYOUT_COUNT_LIMIT", "USD:0"],
    ["VELOCITY_MAX_PAYOUTS", "-1"],
    ["VELOCITY_WINDOW_SECONDS", "0"]
  ]
  for (const [name, value] of bad) {
    it.effect(`${name}=${value} stops start-up with a message naming ${name}`, () =>
      Effect.map(complaint({ [name]: value }), (c) => expect(c).toMatch(new RegExp(`^${name}: `)))
    )
  }
})
