import { Context, type Effect } from "effect"
import type { ServiceUnavailable } from "../domain/index.js"

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

export class RateLimiter extends Context.Tag("swiftpay/RateLimiter")<RateLimiter, RateLimiterShape>() {}
