import { Chunk, Duration, Effect, type Option, Schedule } from "effect"

export interface RetryOptions {
  readonly baseMs: number
  readonly maxDelayMs: number
  /** Attempts in all, the first included. */
  readonly maxAttempts: number
}

/**
 * Exponential (×3 from `baseMs`), jittered (×0.8–1.2), then capped at
 * `maxDelayMs` (so the cap holds). The defaults: 5 s, 15 s, 45 s, … 10 h, about a day in all.
 */
export const retrySchedule = ({ baseMs, maxDelayMs }: RetryOptions) =>
  Schedule.exponential(Duration.millis(baseMs), 3).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.millis(maxDelayMs))),
    Schedule.delays
  )

/**
 * How long after failed attempt number `attempt` (from 1) the next one is due;
 * none once `maxAttempts` have been made. Attempts are stored, not a running
 * schedule, so the delay is the schedule's `attempt`-th step, recomputed.
 */
export const retryDelay = (options: RetryOptions, attempt: number): Effect.Effect<Option.Option<Duration.Duration>> =>
  attempt >= options.maxAttempts
    ? Effect.succeedNone
    : Effect.map(Schedule.run(retrySchedule(options), 0, Array.from({ length: attempt })), (delays) =>
        Chunk.get(delays, attempt - 1)
      )
