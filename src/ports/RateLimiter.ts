import { Context, type Effect, Layer } from "effect"
import type { ServiceUnavailable } from "../domain/index.js"
import * as MemoryRateLimiter from "./memory/rateLimiter.js"

export interface RateLimitDecision {
  readonly allowed: boolean
  readonly limit: number
  readonly remaining: number
  /** Milliseconds until the current window resets. */
  readonly resetMs: number
}

/** Fixed-window counters, atomic per key (`rl:<ip>`, `rl:user:<userId>`). */
export interface RateLimiterShape {
  readonly hit: (key: string, limit: number, windowMs: number) => Effect.Effect<RateLimitDecision, ServiceUnavailable>
}

export class RateLimiter extends Context.Tag("swiftpay/RateLimiter")<RateLimiter, RateLimiterShape>() {
  static readonly layerMemory: Layer.Layer<RateLimiter> = Layer.suspend(() =>
    Layer.effect(RateLimiter, MemoryRateLimiter.make)
  )
}
