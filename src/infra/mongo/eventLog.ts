import { Effect, Layer } from "effect"
import { EventLog, type EventLogShape, type EventSink, type StoredEvent } from "../../ports/EventLog.js"
import { Mongo } from "./client.js"
import { decode, EventDoc } from "./documents.js"
import { call, query } from "./driver.js"
import { collections } from "./indexes.js"

const SINKS: ReadonlyArray<EventSink> = ["bus", "webhooks"]

const toStored = (doc: unknown): Effect.Effect<StoredEvent> =>
  Effect.map(decode(EventDoc)(doc), ({ recordedAt, delivered: _, ...event }) => ({
    event,
    sequence: event.sequence,
    recordedAt
  }))

/** The `events` collection the store's steps write (indexes: see indexes.ts). */
export const make = Effect.gen(function* () {
  const { events } = collections((yield* Mongo).db)
  const log: EventLogShape = {
    read: ({ userId, after, limit, type }) =>
      query(
        call(() =>
          events
            .find({ userId, sequence: { $gt: after }, ...(type === undefined ? {} : { type }) })
            .sort({ sequence: 1 })
            .limit(Math.max(limit, 0))
            .toArray()
        )
      ).pipe(Effect.flatMap((docs) => Effect.forEach(docs, toStored))),

    latest: (userId) =>
      query(call(() => events.find({ userId }).sort({ sequence: -1 }).limit(1).toArray())).pipe(
        Effect.flatMap((docs) =>
          docs[0] === undefined ? Effect.succeed(0) : Effect.map(toStored(docs[0]), (s) => s.sequence)
        )
      ),

    pending: (sink, { recordedBefore, limit }) =>
      query(
        call(() =>
          events
            .find({ delivered: { $ne: sink }, recordedAt: { $lte: recordedBefore } })
            .sort({ recordedAt: 1, userId: 1, sequence: 1 })
            .limit(Math.max(limit, 0))
            .toArray()
        )
      ).pipe(Effect.flatMap((docs) => Effect.forEach(docs, toStored))),

    markDelivered: (sink, eventIds) =>
      eventIds.length === 0
        ? Effect.void
        : query(
            call(() => events.updateMany({ eventId: { $in: [...eventIds] } }, { $addToSet: { delivered: sink } }))
          ).pipe(Effect.asVoid),

    prune: (recordedBefore) =>
      query(
        call(() => events.deleteMany({ recordedAt: { $lt: recordedBefore }, delivered: { $all: [...SINKS] } }))
      ).pipe(Effect.map((r) => r.deletedCount))
  }
  return log
})

/** On the `Mongo` client provided, next to the store that writes it. */
export const layer = Layer.effect(EventLog, make)
