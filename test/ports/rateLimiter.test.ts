import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as MemoryRateLimiter from "../../src/ports/memory/rateLimiter.js"
import { RateLimiter } from "../../src/ports/RateLimiter.js"
import { rateLimiterContract } from "../contracts/rateLimiter.js"
import { testClock } from "../contracts/time.js"

rateLimiterContract("memory", MemoryRateLimiter.layer, { time: testClock })

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
    }).pipe(Effect.provide(MemoryRateLimiter.layer))
  )
})

describe("RateLimiter memory: expired windows are dropped", () => {
  it.effect("20,000 one-off keys leave nothing behind once their window has passed", () =>
    Effect.gen(function* () {
      const rl = yield* MemoryRateLimiter.make
      yield* Effect.forEach(
        Array.from({ length: 20_000 }, (_, i) => `rl:client-${i}`),
        (key) => rl.hit(key, 5, 1_000),
        {
          discard: true
        }
      )
      expect(yield* rl.size).toBe(20_000)
      yield* TestClock.adjust(999)
      yield* rl.hit("rl:steady", 5, 1_000)
      expect(yield* rl.size).toBe(20_001) // nothing has expired yet
      yield* TestClock.adjust(1)
      yield* rl.hit("rl:steady", 5, 1_000)
      expect(yield* rl.size).toBe(1)
      // the live window kept its count
      expect(yield* rl.hit("rl:steady", 5, 1_000)).toMatchObject({ allowed: true, remaining: 2 })
    })
  )

  it.effect("windows of different lengths each expire at their own end", () =>
    Effect.gen(function* () {
      const rl = yield* MemoryRateLimiter.make
      yield* rl.hit("short", 5, 100)
      yield* rl.hit("long", 5, 10_000)
      yield* TestClock.adjust(5_000)
      yield* rl.hit("other", 5, 100)
      expect(yield* rl.size).toBe(2)
      expect(yield* rl.hit("long", 5, 10_000)).toMatchObject({ remaining: 3, resetMs: 5_000 })
    })
  )
})
