import { Clock, Effect, HashMap, Option, Ref } from "effect"
import type { RateLimitDecision } from "../RateLimiter.js"

interface Window {
  readonly count: number
  readonly endsAt: number
}

/** Fixed windows that start at a key's first hit (like `INCR` + `PEXPIRE` on 1), on `Clock`. */
export const make = Effect.gen(function* () {
  const windows = yield* Ref.make(HashMap.empty<string, Window>())

  const hit = Effect.fn("RateLimiter.hit")(function* (key: string, limit: number, windowMs: number) {
    const now = yield* Clock.currentTimeMillis
    const window = yield* Ref.modify(windows, (map) => {
      const next = HashMap.get(map, key).pipe(
        Option.filter((w) => w.endsAt > now),
        Option.match({
          onNone: (): Window => ({ count: 1, endsAt: now + windowMs }),
          onSome: (w): Window => ({ count: w.count + 1, endsAt: w.endsAt })
        })
      )
      return [next, HashMap.set(map, key, next)]
    })
    return {
      allowed: window.count <= limit,
      limit,
      remaining: Math.max(0, limit - window.count),
      resetMs: window.endsAt - now
    } satisfies RateLimitDecision
  })

  return { hit }
})
