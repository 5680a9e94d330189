import { Effect } from "effect"
import type { EventBusShape } from "../ports/EventBus.js"
import type { Recorded } from "../ports/PayoutStore.js"

/**
 * The fast path: hands the events a step recorded to every gateway at once.
 * Best effort: the event log holds them, and the relay publishes what this missed.
 */
export const announce = (bus: EventBusShape, events: Recorded) =>
  Effect.forEach(events, ({ event }) => bus.publish(event), { discard: true }).pipe(
    Effect.catchAll((e) => Effect.logWarning("payout event not published, left to the relay", e))
  )
