import { Config, Context, Duration, Effect, Layer, Metric, Option } from "effect"
import { isTerminal, type ServiceUnavailable, type Transaction, type TransactionNotFound } from "../domain/index.js"
import { EventBus } from "../ports/EventBus.js"
import { type Delivery, type PayoutMessage, PayoutQueue } from "../ports/PayoutQueue.js"
import { PayoutStore } from "../ports/PayoutStore.js"
import { SettlementRail } from "../ports/SettlementRail.js"
import { Settings } from "../settings.js"
import { announce } from "./announce.js"
import { payoutsFinished, settlementLatency, settlementsInFlight } from "./metrics.js"
import { delayAfter } from "./retryPolicy.js"

export interface PayoutSettlementShape {
  /** Settles one queued payout. Safe to run again for the same message: every step is conditional. */
  readonly handle: (
    message: PayoutMessage,
    delivery?: Delivery
  ) => Effect.Effect<void, TransactionNotFound | ServiceUnavailable>
}

const make = Effect.gen(function* () {
  const store = yield* PayoutStore
  const queue = yield* PayoutQueue
  const bus = yield* EventBus
  const rail = yield* SettlementRail
  const retry = yield* Config.all({ maxRetryAttempts: Settings.maxRetryAttempts, retryDelayMs: Settings.retryDelayMs })

  /** Counted once: by the attempt the final state belongs to, not by a late one that found it done. */
  const finished = (t: Transaction, attempt: number) =>
    Effect.zipRight(
      isTerminal(t) && t.attempts === attempt
        ? Metric.increment(Metric.tagged(payoutsFinished, "status", t._tag))
        : Effect.void,
      announce(store, bus, t)
    )

  /**
   * Claims the next attempt. A redelivered message whose own claim went through
   * (attempts moved by exactly one) was abandoned by a consumer that died or was
   * stopped: it takes the payout over at once instead of waiting for Recovery.
   */
  const claimAttempt = (message: PayoutMessage, delivery: Delivery) =>
    Effect.flatMap(store.startProcessing(message.transactionId, message.expectedAttempts), (claim) => {
      const t = claim.transaction
      return claim._tag === "Stale" &&
        delivery.redelivered &&
        t._tag === "processing" &&
        t.attempts === message.expectedAttempts + 1
        ? store.startProcessing(message.transactionId, t.attempts)
        : Effect.succeed(claim)
    })

  const settleOnce = Effect.fn("PayoutSettlement.handle")(function* (message: PayoutMessage, delivery: Delivery) {
    yield* Effect.annotateCurrentSpan({ transactionId: message.transactionId, attempt: message.expectedAttempts + 1 })
    const claim = yield* claimAttempt(message, delivery)
    if (claim._tag === "Stale") {
      // A repeat after a crash between the final move and the ack: say again how it ended.
      if (isTerminal(claim.transaction)) yield* announce(store, bus, claim.transaction)
      return
    }
    const t = claim.transaction
    if (claim.first) yield* announce(store, bus, t)

    const paid = yield* rail
      .pay({ ...t, attempt: t.attempts })
      .pipe(Effect.either, Effect.withSpan("PayoutSettlement.rail", { attributes: { attempt: t.attempts } }))
    if (paid._tag === "Right") {
      return yield* finished(yield* store.settle(t.transactionId), t.attempts)
    }
    const failure = paid.left
    if (failure.transient) {
      const wait = yield* delayAfter(retry, t.attempts)
      if (Option.isSome(wait)) {
        yield* Effect.logInfo("transient rail failure, retrying later", { attempt: t.attempts, reason: failure.reason })
        return yield* queue.publishDelayed(
          { transactionId: t.transactionId, userId: t.userId, expectedAttempts: t.attempts },
          Duration.toMillis(wait.value)
        )
      }
    }
    const reason = failure.transient
      ? `retries exhausted after ${t.attempts} attempts: ${failure.reason}`
      : failure.reason
    yield* finished(yield* store.release(t.transactionId, reason), t.attempts)
  })

  const handle = (message: PayoutMessage, delivery: Delivery = { redelivered: false }) =>
    Effect.acquireUseRelease(
      Metric.increment(settlementsInFlight),
      () => Metric.trackDuration(settleOnce(message, delivery), settlementLatency),
      () => Metric.incrementBy(settlementsInFlight, -1)
    )

  return { handle } satisfies PayoutSettlementShape
})

/**
 * The worker's use case: claim the attempt → PAYOUT_PROCESSING → rail → settle
 * (held → paid out) or release (held → available) → COMPLETED / FAILED. A
 * transient failure waits in the broker's delay queue for the next attempt.
 */
export class PayoutSettlement extends Context.Tag("swiftpay/PayoutSettlement")<
  PayoutSettlement,
  PayoutSettlementShape
>() {
  static readonly layer = Layer.effect(PayoutSettlement, make)
}
