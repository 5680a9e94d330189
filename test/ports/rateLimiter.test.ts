import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { RateLimiter } from "../../src/ports/RateLimiter.js"
import { rateLimiterContract } from "../contracts/rateLimiter.js"
import { testClock } from "../contracts/time.js"

rateLimiterContract("memory", RateLimiter.layerMemory, { time: testClock })

describe("RateLimiter memory", () => {
  it.effect("the window is fixed from the first hit: later hits do not extend it", () =>
    Effect.gen(function* () {
      const rl = yield* RateLimiter
      expect((yield* rl.hit("k", 2, 1_000)).resetMs).toBe(1_000)
      yield* TestClock.adjust(400)
      expect((yield* rl.hit("k", 2, 1_000)).resetMs).toBe(600)
      yield* TestClock.adjust(599)
      expect(yield* rl.hit("k", 2, 1_000)).toEqual({ allowed: false, limit: 2, remaining: 0, resetMs: 1 })
      yield* TestClock.adjust(1)
      expect(yield* rl.hit("k", 2, 1_000)).toEqual({ allowed: true, limit: 2, remaining: 1, resetMs: 1_000 })
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )
})
