import { Chunk, Clock, Duration, Effect, type Option, Schedule } from "effect"

export interface RetrySettings {
  readonly maxRetryAttempts: number
  readonly retryDelayMs: number
}

/** Transient rail failures: exponential from RETRY_DELAY_MS, jittered, MAX_RETRY_ATTEMPTS attempts in all. */
export const retryPolicy = (s: RetrySettings) =>
  Schedule.exponential(Duration.millis(s.retryDelayMs)).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(s.maxRetryAttempts - 1))
  )

/**
 * How long to wait after `attempt` (1-based) failed transiently, or None when it
 * was the last one allowed. The wait happens in the broker, not in this process,
 * so the policy is read rather than run.
 */
export const delayAfter = (s: RetrySettings, attempt: number): Effect.Effect<Option.Option<Duration.Duration>> =>
  attempt >= s.maxRetryAttempts
    ? Effect.succeedNone
    : Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Schedule.run(
          Schedule.delays(retryPolicy(s)),
          now,
          Array.from({ length: attempt }, () => undefined)
        ).pipe(Effect.map(Chunk.last))
      )
