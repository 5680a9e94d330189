import { Effect } from "effect"
import { eventFor, type Minor, type PayoutEvent, type Transaction } from "../../domain/index.js"
import type { EventLogShape, EventSink, StoredEvent } from "../EventLog.js"

interface Entry {
  readonly stored: StoredEvent
  readonly delivered: Set<EventSink>
}

const SINKS: ReadonlyArray<EventSink> = ["bus", "webhooks"]

/**
 * The memory store's event log: appended inside the store's synchronous steps
 * (so with the change), read through the EventLog port.
 */
export const makeEventRecords = () => {
  const entries: Array<Entry> = []
  const byId = new Map<string, Entry>()
  const sequences = new Map<string, number>()

  /** Records the event for `t`'s new state as the user's next one. */
  const append = (t: Transaction, newBalance: Minor | undefined, now: number): StoredEvent => {
    const sequence = (sequences.get(t.userId) ?? 0) + 1
    sequences.set(t.userId, sequence)
    const event: PayoutEvent = eventFor(t, newBalance, sequence)
    const entry: Entry = { stored: { event, sequence, recordedAt: now }, delivered: new Set() }
    entries.push(entry)
    byId.set(event.eventId, entry)
    return entry.stored
  }

  const log: EventLogShape = {
    read: ({ userId, after, limit, type }) =>
      Effect.sync(() => {
        const page: Array<StoredEvent> = []
        for (const { stored } of entries) {
          if (page.length >= limit) break
          if (stored.event.userId !== userId || stored.sequence <= after) continue
          if (type !== undefined && stored.event.type !== type) continue
          page.push(stored)
        }
        return page
      }),

    latest: (userId) => Effect.sync(() => sequences.get(userId) ?? 0),

    pending: (sink, { recordedBefore, limit }) =>
      Effect.sync(() => {
        const due: Array<StoredEvent> = []
        for (const { stored, delivered } of entries) {
          if (due.length >= limit) break
          if (stored.recordedAt <= recordedBefore && !delivered.has(sink)) due.push(stored)
        }
        return due
      }),

    markDelivered: (sink, eventIds) =>
      Effect.sync(() => {
        for (const id of eventIds) byId.get(id)?.delivered.add(sink)
      }),

    prune: (recordedBefore) =>
      Effect.sync(() => {
        const keep: Array<Entry> = []
        for (const e of entries) {
          if (e.stored.recordedAt >= recordedBefore || SINKS.some((sink) => !e.delivered.has(sink))) keep.push(e)
          else byId.delete(e.stored.event.eventId)
        }
        const dropped = entries.length - keep.length
        entries.splice(0, entries.length, ...keep)
        return dropped
      })
  }

  return { append, log }
}
