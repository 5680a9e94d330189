import { Effect, Layer, PubSub } from "effect"
import type { PayoutEvent } from "../../domain/index.js"
import { EventBus } from "../EventBus.js"

/** One in-process PubSub: every subscriber sees every event, in publish order. */
export const make = Effect.gen(function* () {
  const pubsub = yield* Effect.acquireRelease(PubSub.unbounded<PayoutEvent>(), PubSub.shutdown)
  // in process, the subscription is never lost: nothing is ever published here
  const never = yield* Effect.acquireRelease(PubSub.unbounded<void>(), PubSub.shutdown)
  return {
    publish: (event: PayoutEvent) => Effect.asVoid(PubSub.publish(pubsub, event)),
    subscribe: PubSub.subscribe(pubsub),
    resubscribed: PubSub.subscribe(never)
  }
})

/** In-process fan-out; the PubSub shuts down with the layer. */
export const layer: Layer.Layer<EventBus> = Layer.scoped(EventBus, make)
