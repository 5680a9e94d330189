import { randomUUID } from "node:crypto"
import { Clock, Config, Context, Duration, Effect, Layer, Metric, Option, Schedule } from "effect"
import {
  type AttemptRef,
  attemptOf,
  isTerminal,
  type Processing,
  type ServiceUnavailable,
  type TransactionNotFound
} from "../domain/index.js"
import { EventBus } from "../ports/EventBus.js"
import { EventLog } from "../ports/EventLog.js"
import { type Delivery, type PayoutMessage, PayoutQueue } from "../ports/PayoutQueue.js"
import { type Finish, PayoutStore, type Recorded } from "../ports/PayoutStore.js"
import { RailOutcomeUnknown, SettlementRail } from "../ports/SettlementRail.js"
import { Settings } from "../settings.js"
import { announce } from "./announce.js"
import * as CircuitBreaker from "./circuitBreaker.js"
import { type CircuitState, Circuits } from "./circuitBreaker.js"
import { makeDeliveredMarker } from "./deliveredMarker.js"
import { payoutsFinished, railCircuit, railDeferred, settlementLatency, settlementsInFlight } from "./metrics.js"
import { delayAfter } from "./retryPolicy.js"

export interface PayoutSettlementShape {
  /** Settles one queued payout. Safe to run again for the same message: every step is conditional. */
  readonly handle: (
    message: PayoutMessage,
    delivery?: Delivery
  ) => Effect.Effect<void, TransactionNotFound | ServiceUnavailable>
  /** The rail's circuit breaker, for health reports. */
  readonly railCircuit: Effect.Effect<CircuitState>
}

/** A busy payout is asked about again this long after its lease ends, so the owner's last heartbeat has landed. */
const BUSY_MARGIN_MS = 250

const make = Effect.gen(function* () {
  const store = yield* PayoutStore
  const queue = yield* PayoutQueue
  const bus = yield* EventBus
  const mark = yield* makeDeliveredMarker(yield* EventLog, "bus")
  const rail = yield* SettlementRail
  const config = yield* Config.all({
    maxRetryAttempts: Settings.maxRetryAttempts,
    retryDelayMs: Settings.retryDelayMs,
    leaseMs: Settings.settlementLeaseMs,
    railTimeoutMs: Settings.railTimeoutMs,
    breakerThreshold: Settings.railBreakerThreshold,
    breakerCooldownMs: Settings.railBreakerCooldownMs
  })
  // After breakerThreshold transient failures in a row the rail is left alone for the cool-down; messages wait in the broker.
  const breaker = yield* CircuitBreaker.make({
    name: "rail",
    threshold: config.breakerThreshold,
    cooldownMs: config.breakerCooldownMs
  })
  const gaugeLevel = { closed: 0, "half-open": 1, open: 2 } as const
  const showBreaker = Effect.flatMap(breaker.state, (s) => Metric.set(railCircuit, gaugeLevel[s]))
  const recordRail = (ok: boolean) => Effect.zipRight(breaker.record(ok), showBreaker)
  // Who holds a lease: this process. Attempts are told apart by their number.
  const owner = `settlement-${process.pid}-${randomUUID().slice(0, 8)}`
  const lease = { owner, ms: config.leaseMs }

  /**
   * The final write, its metric and its event. The write and the count are one
   * uninterruptible step: the attempt that moved the payout counts it, once.
   */
  const finish = (write: Effect.Effect<Finish, TransactionNotFound | ServiceUnavailable>) =>
    Effect.uninterruptible(
      Effect.tap(write, ({ moved, transaction: t }) =>
        moved && isTerminal(t) ? Metric.increment(Metric.tagged(payoutsFinished, "status", t._tag)) : Effect.void
      )
    ).pipe(
      Effect.tap(({ moved, transaction: t, events }) =>
        moved
          ? Effect.zipRight(
              t._tag === "failed"
                ? Effect.logWarning("payout failed, hold released", { reason: t.failureReason })
                : Effect.logInfo(`payout ${t._tag}`),
              announce(bus, mark, events)
            )
          : Effect.logInfo("attempt no longer holds the payout: nothing written", { status: t._tag })
      )
    )

  /** Keeps the lease alive while `self` runs (every third of it); stops once the attempt lost the payout. */
  const withHeartbeat = <A, E>(ref: AttemptRef, self: Effect.Effect<A, E>) => {
    const every = Duration.millis(Math.max(1, Math.floor(config.leaseMs / 3)))
    const beat = store.renewLease(ref, config.leaseMs).pipe(
      Effect.tap((held) => (held ? Effect.void : Effect.logWarning("settlement lease lost to another attempt"))),
      Effect.catchAll((e) => Effect.as(Effect.logWarning("lease renewal failed", e), true))
    )
    return Effect.scoped(
      Effect.zipRight(
        Effect.forkScoped(
          Effect.repeat(Effect.delay(beat, every), { while: (held) => held, schedule: Schedule.forever })
        ),
        self
      )
    )
  }

  /** A live attempt owns the payout: look again once its lease is over (in the broker, not here). */
  const later = (message: PayoutMessage, t: Processing) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const wait = Math.max(BUSY_MARGIN_MS, t.claimedUntil - now + BUSY_MARGIN_MS)
      return Effect.zipRight(
        Effect.logDebug("payout busy with a live attempt, asking again later", { attempt: t.attempts, waitMs: wait }),
        queue.publishDelayed({ ...message, expectedAttempts: t.attempts }, wait)
      )
    })

  /**
   * Stopped before the end (a shutdown past its drain time): the lease ends now, so
   * the redelivered message takes the payout over at once instead of after the lease.
   */
  const giveUp = (ref: AttemptRef) =>
    store
      .renewLease(ref, 0)
      .pipe(Effect.zipRight(Effect.logInfo("settlement attempt stopped, lease given up")), Effect.ignore)

  /** Gives the lease up and puts the retry in the broker's delay queue. */
  const retryLater = (t: Processing, waitMs: number) =>
    Effect.gen(function* () {
      const retryAt = (yield* Clock.currentTimeMillis) + waitMs
      const deferred = yield* store.deferAttempt(attemptOf(t), retryAt)
      if (deferred._tag !== "processing" || deferred.attempts !== t.attempts) return
      yield* queue.publishDelayed(
        { transactionId: t.transactionId, userId: t.userId, expectedAttempts: t.attempts },
        waitMs
      )
    })

  /** No answer from the rail: it may have paid, so the hold is never released on it; ask again, backing off. */
  const unknownOutcomeDelayMs = (attempts: number) => Math.min(60_000, config.retryDelayMs * 2 ** Math.min(attempts, 6))

  const callRail = (t: Processing) =>
    rail.pay({ ...t, idempotencyKey: t.transactionId, attempt: t.attempts }).pipe(
      Effect.timeoutFail({
        duration: config.railTimeoutMs,
        onTimeout: () => new RailOutcomeUnknown({ reason: `no answer within ${config.railTimeoutMs} ms` })
      }),
      Effect.withSpan("PayoutSettlement.rail", { attributes: { attempt: t.attempts } })
    )

  const attempt = (t: Processing, events: Recorded) =>
    Effect.gen(function* () {
      const ref = attemptOf(t)
      yield* Effect.logInfo("settlement attempt started")
      yield* announce(bus, mark, events)

      // the heartbeat covers the rail call and the settle after it: the lease outlives both
      const failure = yield* withHeartbeat(
        ref,
        callRail(t).pipe(
          Effect.matchEffect({
            onSuccess: () => Effect.as(finish(store.settle(ref)), null),
            onFailure: Effect.succeed
          })
        )
      )
      // the rail answered (paid, or declined for good): it is up; no answer or a transient refusal counts against it
      yield* recordRail(failure === null || (failure._tag === "RailFailure" && !failure.transient))
      if (failure === null) return
      if (failure._tag === "RailOutcomeUnknown") {
        const waitMs = unknownOutcomeDelayMs(t.attempts)
        yield* Effect.logWarning("rail outcome unknown, asking again later", { reason: failure.reason, waitMs })
        return yield* retryLater(t, waitMs)
      }
      if (failure.transient) {
        const wait = yield* delayAfter(config, t.attempts)
        if (Option.isSome(wait)) {
          const waitMs = Duration.toMillis(wait.value)
          yield* Effect.logInfo("transient rail failure, retrying later", { reason: failure.reason, waitMs })
          return yield* retryLater(t, waitMs)
        }
      }
      // the rail's own answer: declined, or refused transiently every time (nothing paid under this key)
      const reason = failure.transient
        ? `retries exhausted after ${t.attempts} attempts: ${failure.reason}`
        : failure.reason
      yield* finish(store.release(ref, reason))
    }).pipe(Metric.trackDuration(settlementLatency), (self) =>
      Effect.acquireUseRelease(
        Metric.increment(settlementsInFlight),
        () => self,
        () => Metric.incrementBy(settlementsInFlight, -1)
      )
    )

  const run = (t: Processing, events: Recorded) =>
    attempt(t, events).pipe(
      Effect.onInterrupt(() => Effect.zipRight(giveUp(attemptOf(t)), breaker.abandon)),
      Effect.annotateLogs({ attempt: t.attempts })
    )

  /** The breaker is open: the payout is not claimed, its message goes back to the broker until the trial is due. */
  const railOpen = (message: PayoutMessage) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const waitMs = Math.max(BUSY_MARGIN_MS, (yield* breaker.openUntil) - now + BUSY_MARGIN_MS)
      yield* showBreaker
      yield* Metric.increment(railDeferred)
      yield* Effect.logDebug("rail circuit open: payout left in the broker", { waitMs })
      yield* queue.publishDelayed(message, waitMs)
    })

  const settleOnce = Effect.fn("PayoutSettlement.handle")(function* (message: PayoutMessage, delivery: Delivery) {
    yield* Effect.annotateCurrentSpan({ transactionId: message.transactionId, attempt: message.expectedAttempts + 1 })
    if (!(yield* breaker.admit)) return yield* railOpen(message)
    const claim = yield* store.startProcessing(message.transactionId, message.expectedAttempts, lease).pipe(
      Effect.tap((c) => (c._tag === "Claimed" ? Effect.void : breaker.abandon)),
      Effect.onError(() => breaker.abandon)
    )
    switch (claim._tag) {
      case "Claimed":
        return yield* run(claim.transaction, claim.events)
      case "Busy":
        return yield* later(message, claim.transaction)
      case "Stale":
        // A repeat after a crash between the final move and the ack: its event is in the log, the relay's to deliver.
        return yield* Effect.logDebug("stale payout message dropped", {
          status: claim.transaction._tag,
          redelivered: delivery.redelivered
        })
    }
  })

  const handle = (message: PayoutMessage, delivery: Delivery = { redelivered: false }) =>
    settleOnce(message, delivery).pipe(
      Effect.annotateLogs({ transactionId: message.transactionId, userId: message.userId })
    )

  return { handle, railCircuit: breaker.state } satisfies PayoutSettlementShape
})

/**
 * The worker's use case: claim the attempt under a lease → PAYOUT_PROCESSING →
 * rail (idempotency key = transactionId; the lease renewed meanwhile) → settle
 * (held → paid out) or release (held → available), each a compare-and-set on
 * the attempt → COMPLETED / FAILED. A transient failure gives the lease up and
 * waits in the broker's delay queue for the next attempt; a payout a live
 * attempt holds is looked at again when that lease ends. After
 * RAIL_BREAKER_THRESHOLD transient failures in a row the rail's breaker opens:
 * for RAIL_BREAKER_COOLDOWN_MS no payout is claimed (messages wait in the
 * broker), then one trial call decides.
 */
export class PayoutSettlement extends Context.Tag("swiftpay/PayoutSettlement")<
  PayoutSettlement,
  PayoutSettlementShape
>() {
  static readonly layer = Layer.scoped(PayoutSettlement, make)
  /** With the rail's breaker reported as `Circuits`. */
  static readonly layerWithCircuits = Layer.provideMerge(
    Layer.effect(
      Circuits,
      Effect.map(PayoutSettlement, (s) => Effect.map(s.railCircuit, (rail) => ({ rail })))
    ),
    PayoutSettlement.layer
  )
}
