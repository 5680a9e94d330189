import { Clock, Data, Effect, Exit, Ref } from "effect"

/** The breaker is open: the call was not made. */
export class CircuitOpen extends Data.TaggedError("CircuitOpen")<{ readonly name: string }> {}

export type CircuitState = "closed" | "open" | "half-open"

type State =
  | { readonly _tag: "Closed"; readonly failures: number }
  | { readonly _tag: "Open"; readonly until: number }
  | { readonly _tag: "HalfOpen" }

export interface CircuitBreakerOptions {
  readonly name: string
  /** Consecutive failures that open it. */
  readonly threshold: number
  /** How long it stays open before one trial call is let through. */
  readonly cooldownMs: number
}

export interface CircuitBreaker {
  readonly run: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | CircuitOpen, R>
  readonly state: Effect.Effect<CircuitState>
}

/**
 * Closed → (threshold consecutive failures) → open for `cooldownMs` → half-open:
 * one trial call, the others refused; its success closes, its failure opens again.
 */
export const make = (options: CircuitBreakerOptions): Effect.Effect<CircuitBreaker> =>
  Effect.map(Ref.make<State>({ _tag: "Closed", failures: 0 }), (ref) => {
    const open = (now: number): State => ({ _tag: "Open", until: now + options.cooldownMs })

    const enter = (now: number) =>
      Ref.modify(ref, (s): readonly [boolean, State] => {
        switch (s._tag) {
          case "Closed":
            return [true, s]
          case "Open":
            return now >= s.until ? [true, { _tag: "HalfOpen" }] : [false, s]
          case "HalfOpen":
            return [false, s]
        }
      })

    const after = (ok: boolean, now: number) =>
      Ref.update(ref, (s): State => {
        if (ok) return { _tag: "Closed", failures: 0 }
        if (s._tag === "Closed")
          return s.failures + 1 >= options.threshold ? open(now) : { ...s, failures: s.failures + 1 }
        return open(now)
      })

    const run = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | CircuitOpen, R> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.flatMap(enter(now), (allowed) =>
          allowed
            ? Effect.onExit(self, (exit) =>
                Effect.flatMap(Clock.currentTimeMillis, (end) => after(Exit.isSuccess(exit), end))
              )
            : Effect.fail<E | CircuitOpen>(new CircuitOpen({ name: options.name }))
        )
      )

    const state = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.map(
        Ref.get(ref),
        (s): CircuitState =>
          s._tag === "Closed" ? "closed" : s._tag === "HalfOpen" ? "half-open" : now >= s.until ? "half-open" : "open"
      )
    )
    return { run, state }
  })
