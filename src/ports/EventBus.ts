import { Context, type Effect, type Queue, type Scope } from "effect"
import type { PayoutEvent, ServiceUnavailable } from "../domain/index.js"

/**
 * Payout events from any process to every gateway, in publish order. Delivery is
 * best effort (Redis pub/sub drops what a reconnecting subscriber misses): the
 * EventLog, not the bus, is the record, and its relay publishes what was missed.
 */
export interface EventBusShape {
  readonly publish: (event: PayoutEvent) => Effect.Effect<void, ServiceUnavailable>
  /** The subscription is live when this returns; it ends with the scope. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<PayoutEvent>, never, Scope.Scope>
  /**
   * One item each time this process's subscription is live again after a loss
   * (taken once the subscription is confirmed): whatever was published meanwhile
   * may be missing, and a subscriber reads it from the EventLog. It ends with the scope.
   */
  readonly resubscribed: Effect.Effect<Queue.Dequeue<void>, never, Scope.Scope>
}

export class EventBus extends Context.Tag("swiftpay/EventBus")<EventBus, EventBusShape>() {}
