import { Effect, type Schedule, type Scope } from "effect"

/**
 * A background pass repeated on `schedule` for the life of the scope. A pass
 * that fails or dies (a document that does not decode, an unknown driver error)
 * is logged as `<what> failed` / `<what> died` and never ends the loop.
 */
export const forkPasses = <A, E>(
  pass: Effect.Effect<A, E>,
  what: string,
  schedule: Schedule.Schedule<unknown>
): Effect.Effect<void, never, Scope.Scope> =>
  pass.pipe(
    Effect.catchAll((e) => Effect.logWarning(`${what} failed`, e)),
    Effect.catchAllDefect((defect) => Effect.logError(`${what} died`, defect)),
    Effect.repeat(schedule),
    Effect.forkScoped,
    Effect.asVoid
  )
