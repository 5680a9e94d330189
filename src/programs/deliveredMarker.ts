import { Chunk, Effect, Queue } from "effect"
import type { EventLogShape, EventSink } from "../ports/EventLog.js"

const BATCH_WINDOW_MS = 100
const MAX_BATCH = 500

/**
 * Marks events delivered to `sink` in batches: one store write per batch (the
 * ids queued within 100 ms of the first, at most 500) instead of one per event,
 * and no timer at all while nothing is queued. A mark lost to a crash only means
 * the relay publishes that event again (at-least-once). Flushed on close.
 */
export const makeDeliveredMarker = (log: EventLogShape, sink: EventSink) =>
  Effect.gen(function* () {
    const ids = yield* Queue.unbounded<string>()
    const write = (batch: ReadonlyArray<string>) =>
      log
        .markDelivered(sink, batch)
        .pipe(
          Effect.catchAll((e) => Effect.logWarning("delivered marks not written, the relay publishes those again", e))
        )
    const batchOnce = Effect.gen(function* () {
      const first = yield* Queue.take(ids)
      yield* Effect.sleep(BATCH_WINDOW_MS)
      const rest = yield* Queue.takeUpTo(ids, MAX_BATCH - 1)
      yield* write([first, ...Chunk.toReadonlyArray(rest)])
    })
    yield* Effect.forkScoped(Effect.forever(batchOnce))
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Queue.takeAll(ids), (rest) =>
        Chunk.isEmpty(rest) ? Effect.void : write(Chunk.toReadonlyArray(rest))
      )
    )
    return (eventIds: ReadonlyArray<string>) => Queue.offerAll(ids, eventIds).pipe(Effect.asVoid)
  })

export type MarkDelivered = Effect.Effect.Success<ReturnType<typeof makeDeliveredMarker>>
