import { Effect } from "effect"
import type { EventBusShape } from "../ports/EventBus.js"
import type { Recorded } from "../ports/PayoutStore.js"
import type { MarkDelivered } from "./deliveredMarker.js"

/**
 * The fast path: hands the events a step recorded to every gateway at once and
 * marks them delivered for the bus. Best effort: the event log holds them, and
 * the relay publishes whatever this missed.
 */
export const announce = (bus: EventBusShape, mark: MarkDelivered, events: Recorded) =>
  events.length === 0
    ? Effect.void
    : Effect.forEach(events, ({ event }) => bus.publish(event), { discard: true }).pipe(
        Effect.zipRight(mark(events.map(({ event }) => event.eventId))),
        Effect.catchAll((e) => Effect.logWarning("payout event not published, left to the relay", e))
      )
