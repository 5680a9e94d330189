import { Clock, Effect, Layer } from "effect"
import { type RateLimitDecision, RateLimiter } from "../RateLimiter.js"

interface Window {
  count: number
  readonly endsAt: number
}

/**
 * Fixed windows that start at a key's first hit (like `INCR` + `PEXPIRE` on 1), on `Clock`.
 * Keys are client-chosen (IPs, user ids), so expired windows are dropped, as Redis
 * expires them: a sweep at most once per window length keeps that O(1) per hit on
 * average, and memory bounded by the keys seen in about two windows.
 */
export const make = Effect.sync(() => {
  // One map mutated in synchronous steps: each hit is atomic without a Ref.
  const windows = new Map<string, Window>()
  let sweepAt = 0

  const sweep = (now: number, windowMs: number) => {
    if (now < sweepAt) return
    for (const [key, window] of windows) if (window.endsAt <= now) windows.delete(key)
    sweepAt = now + windowMs
  }

  const hit = (key: string, limit: number, windowMs: number) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      sweep(now, windowMs)
      const current = windows.get(key)
      const window = current !== undefined && current.endsAt > now ? current : { count: 0, endsAt: now + windowMs }
      window.count += 1
      windows.set(key, window)
      return {
        allowed: window.count <= limit,
        limit,
        remaining: Math.max(0, limit - window.count),
        resetMs: window.endsAt - now
      } satisfies RateLimitDecision
    })

  /** Windows held (tests watch memory with it). */
  const size = Effect.sync(() => windows.size)

  return { hit, size }
})

export const layer: Layer.Layer<RateLimiter> = Layer.effect(RateLimiter, make)
