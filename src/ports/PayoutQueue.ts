import { Context, type Effect, Schema, type Scope } from "effect"
import type { ServiceUnavailable } from "../domain/index.js"
import { TransactionId, UserId } from "../domain/index.js"

/** The body of a `payout_queue` message (messageId = transactionId). */
export const PayoutMessage = Schema.Struct({
  transactionId: TransactionId,
  userId: UserId,
  /** The attempts the transaction had when this message was sent: the settlement claims attempt + 1. */
  expectedAttempts: Schema.Int.pipe(Schema.nonNegative())
})
export type PayoutMessage = typeof PayoutMessage.Type

/** What the broker says of one delivery. */
export interface Delivery {
  /**
   * An earlier delivery of this very message ended without an ack (its consumer
   * died, was stopped, or its handler failed): whatever that attempt claimed, nobody
   * is working on it any more.
   */
  readonly redelivered: boolean
}

export interface QueueStats {
  readonly ready: number
  readonly inFlight: number
  readonly delayed: number
  readonly dead: number
}

/**
 * At-least-once work queue. A delivery is a scoped resource: the handler's exit
 * decides it (success → ack; failure → back through the delay queue, dead-lettered
 * after too many deliveries; interruption → requeued at once). Undecodable
 * messages go to the dead letters.
 */
export interface PayoutQueueShape {
  /** Returns once the broker has the message. The current span travels with it. */
  readonly publish: (message: PayoutMessage) => Effect.Effect<void, ServiceUnavailable>
  /** Delivered again after `delayMs`, from the broker, not from process memory. */
  readonly publishDelayed: (message: PayoutMessage, delayMs: number) => Effect.Effect<void, ServiceUnavailable>
  /** Runs `handler` on each delivery, up to `concurrency` at once, until interrupted. */
  readonly consume: <E, R>(
    handler: (message: PayoutMessage, delivery: Delivery) => Effect.Effect<void, E, R>,
    options: { readonly concurrency: number }
  ) => Effect.Effect<never, ServiceUnavailable, R | Scope.Scope>
  readonly stats: Effect.Effect<QueueStats, ServiceUnavailable>
}

export class PayoutQueue extends Context.Tag("swiftpay/PayoutQueue")<PayoutQueue, PayoutQueueShape>() {}
