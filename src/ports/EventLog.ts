import { Context, type Effect } from "effect"
import type { PayoutEvent, PayoutEventType, ServiceUnavailable, UserId } from "../domain/index.js"

/**
 * A recorded event: written by the PayoutStore in the same atomic step as the
 * state change it reports. `sequence` counts the user's events from 1 with no
 * gap, so a cursor is "the last sequence seen".
 */
export interface StoredEvent {
  readonly event: PayoutEvent
  readonly sequence: number
  readonly recordedAt: number
}

/** Who must receive every recorded event at least once: the EventBus (sockets) and the webhook fan-out. */
export type EventSink = "bus" | "webhooks"

export interface EventQuery {
  readonly userId: UserId
  /** Only events with a greater sequence (0: from the first). */
  readonly after: number
  readonly limit: number
  readonly type?: PayoutEventType | undefined
}

/**
 * The durable event log (transactional outbox). Reads and the relay's
 * bookkeeping only; appends happen inside the store's own steps.
 */
export interface EventLogShape {
  /** The user's events after the cursor, oldest first. */
  readonly read: (query: EventQuery) => Effect.Effect<ReadonlyArray<StoredEvent>, ServiceUnavailable>
  /** The sequence of the user's newest event (0: none yet). */
  readonly latest: (userId: UserId) => Effect.Effect<number, ServiceUnavailable>
  /** Events `sink` has not been handed yet, recorded at or before `recordedBefore`, oldest first. */
  readonly pending: (
    sink: EventSink,
    options: { readonly recordedBefore: number; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<StoredEvent>, ServiceUnavailable>
  /** `sink` has these events; marking twice is a no-op. */
  readonly markDelivered: (sink: EventSink, eventIds: ReadonlyArray<string>) => Effect.Effect<void, ServiceUnavailable>
  /** Drops events recorded before `recordedBefore` that every sink has; returns how many. */
  readonly prune: (recordedBefore: number) => Effect.Effect<number, ServiceUnavailable>
}

export class EventLog extends Context.Tag("swiftpay/EventLog")<EventLog, EventLogShape>() {}
