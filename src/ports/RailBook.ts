import { Context, type Effect, type Option, Schema } from "effect"
import type { ServiceUnavailable } from "../domain/errors.js"

/** A final answer of the simulated rail for one idempotency key. */
export const RailDecision = Schema.Union(
  Schema.TaggedStruct("Paid", { reference: Schema.String }),
  Schema.TaggedStruct("Declined", { reason: Schema.String })
)
export type RailDecision = typeof RailDecision.Type

/** One call the rail received, as its statement shows it. */
export const RailCall = Schema.Struct({
  transactionId: Schema.String,
  idempotencyKey: Schema.String,
  attempt: Schema.Int,
  startedAt: Schema.Number,
  endedAt: Schema.Number,
  outcome: Schema.Literal("paid", "declined", "transient"),
  /** This call made the decision (false: the key was decided before, the answer was replayed). */
  fresh: Schema.Boolean
})
export type RailCall = typeof RailCall.Type

/**
 * The simulated bank's books: what it decided per idempotency key, and every call
 * it got. Shared by every process that uses the simulated rail (Redis in the
 * gateway/worker runtimes), so "never pays twice" holds across workers and restarts.
 */
export interface RailBookShape {
  /** Records `decision` for `key` unless one is recorded; answers the recorded one and whether it is this one. */
  readonly decide: (
    key: string,
    decision: RailDecision
  ) => Effect.Effect<{ readonly decision: RailDecision; readonly fresh: boolean }, ServiceUnavailable>
  readonly lookup: (key: string) => Effect.Effect<Option.Option<RailDecision>, ServiceUnavailable>
  readonly record: (call: RailCall) => Effect.Effect<void, ServiceUnavailable>
  /** The calls recorded, oldest first (tests and operators). */
  readonly statement: Effect.Effect<ReadonlyArray<RailCall>, ServiceUnavailable>
  /** The bank will report `transactionId` returned from `dueAt` on; a return already scheduled keeps its time. */
  readonly scheduleReturn: (transactionId: string, dueAt: number) => Effect.Effect<void, ServiceUnavailable>
  /** Returns due by `now` and not cleared, earliest first, at most `limit`. */
  readonly dueReturns: (now: number, limit: number) => Effect.Effect<ReadonlyArray<ScheduledReturn>, ServiceUnavailable>
  /** The service recorded the return: it is reported no more. */
  readonly clearReturn: (transactionId: string) => Effect.Effect<void, ServiceUnavailable>
}

/** A return the simulated bank will report (or reports: once `dueAt` has passed). */
export interface ScheduledReturn {
  readonly transactionId: string
  readonly dueAt: number
}

/** How many calls a statement keeps (at least). */
export const STATEMENT_LIMIT = 100_000

export class RailBook extends Context.Tag("swiftpay/RailBook")<RailBook, RailBookShape>() {}
