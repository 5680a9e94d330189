import { Clock, Context, Data, Effect, Exit, Ref } from "effect"

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
  /**
   * For a call made in steps: may one be made now? (Half-open: true for the
   * one trial.) Every admitted call ends in `record` or, when it was not made
   * after all, `abandon`.
   */
  readonly admit: Effect.Effect<boolean>
  /** The admitted call's outcome: success closes; a failure counts (or reopens a half-open breaker). */
  readonly record: (ok: boolean) => Effect.Effect<void>
  /** The admitted call was not made: a half-open breaker admits the next one as its trial. */
  readonly abandon: Effect.Effect<void>
  readonly state: Effect.Effect<CircuitState>
  /** When an open breaker lets its trial through (0 unless open). */
  readonly openUntil: Effect.Effect<number>
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

    const admit = Effect.flatMap(Clock.currentTimeMillis, enter)
    const record = (ok: boolean) => Effect.flatMap(Clock.currentTimeMillis, (now) => after(ok, now))
    const abandon = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Ref.update(ref, (s): State => (s._tag === "HalfOpen" ? { _tag: "Open", until: now } : s))
    )
    const openUntil = Effect.map(Ref.get(ref), (s) => (s._tag === "Open" ? s.until : 0))

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
    return { run, admit, record, abandon, state, openUntil }
  })

/** The circuit breakers a process has (the worker's rail), reported by /api/health/detailed. */
export class Circuits extends Context.Tag("swiftpay/Circuits")<
  Circuits,
  Effect.Effect<Readonly<Record<string, CircuitState>>>
>() {}
