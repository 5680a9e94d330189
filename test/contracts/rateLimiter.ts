import { describe, expect } from "@effect/vitest"
import { Effect, type Layer } from "effect"
import { RateLimiter } from "../../src/ports/RateLimiter.js"
import { scopedTest, type TimeControl, unique } from "./time.js"

export interface RateLimiterContractOptions {
  readonly time: TimeControl
}

const windowMs = 300

export const rateLimiterContract = <E>(
  name: string,
  layer: Layer.Layer<RateLimiter, E>,
  options: RateLimiterContractOptions
): void => {
  const { time } = options
  const test = scopedTest(time)
  const hits = (key: string, n: number, limit: number) =>
    Effect.flatMap(RateLimiter, (rl) => Effect.replicateEffect(rl.hit(key, limit, windowMs), n))

  describe(`RateLimiter contract: ${name}`, () => {
    test("allows up to the limit in a window, then refuses with nothing remaining", () =>
      Effect.gen(function* () {
        const decisions = yield* hits(unique("rl"), 5, 3)
        expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false])
        expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0, 0])
        expect(decisions.every((d) => d.limit === 3)).toBe(true)
      }).pipe(Effect.provide(layer)))

    test("resetMs is the time left in the window", () =>
      Effect.gen(function* () {
        const rl = yield* RateLimiter
        const key = unique("rl")
        const first = yield* rl.hit(key, 3, windowMs)
        expect(first.resetMs).toBeGreaterThan(0)
        expect(first.resetMs).toBeLessThanOrEqual(windowMs)
        yield* time.advance(100)
        const later = yield* rl.hit(key, 3, windowMs)
        expect(later.resetMs).toBeGreaterThan(0)
        expect(later.resetMs).toBeLessThanOrEqual(windowMs - 100)
      }).pipe(Effect.provide(layer)))

    test("a new window starts once the old one has passed", () =>
      Effect.gen(function* () {
        const rl = yield* RateLimiter
        const key = unique("rl")
        yield* hits(key, 4, 3)
        yield* time.advance(windowMs + 50)
        const fresh = yield* rl.hit(key, 3, windowMs)
        expect(fresh).toMatchObject({ allowed: true, remaining: 2 })
      }).pipe(Effect.provide(layer)))

    test("keys count separately", () =>
      Effect.gen(function* () {
        const rl = yield* RateLimiter
        const a = unique("rl")
        yield* hits(a, 3, 1)
        expect(yield* rl.hit(unique("rl"), 1, windowMs)).toMatchObject({ allowed: true, remaining: 0 })
      }).pipe(Effect.provide(layer)))

    test("concurrent hits are counted atomically", () =>
      Effect.gen(function* () {
        const rl = yield* RateLimiter
        const key = unique("rl")
        const decisions = yield* Effect.all(
          Array.from({ length: 20 }, () => rl.hit(key, 10, 5_000)),
          { concurrency: "unbounded" }
        )
        const allowed = decisions.filter((d) => d.allowed)
        expect(allowed).toHaveLength(10)
        expect(new Set(allowed.map((d) => d.remaining))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
      }).pipe(Effect.provide(layer)))
  })
}
