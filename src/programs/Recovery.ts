import { Config, Context, Effect, Layer, Metric, Schedule } from "effect"
import type { Open, ServiceUnavailable } from "../domain/index.js"
import { PayoutQueue } from "../ports/PayoutQueue.js"
import { PayoutStore } from "../ports/PayoutStore.js"
import { Settings } from "../settings.js"
import { recoveryRequeued } from "./metrics.js"
import { forkPasses } from "./passLoop.js"

export interface RecoveryShape {
  /**
   * Re-queues the payouts nobody works on (initiated, or their lease expired) that
   * have been off the queue for RECOVERY_IDLE_MS; returns how many it re-queued.
   */
  readonly runOnce: Effect.Effect<number, ServiceUnavailable>
}

const make = Effect.gen(function* () {
  const store = yield* PayoutStore
  const queue = yield* PayoutQueue
  const { idleMs, batch } = yield* Config.all({
    idleMs: Settings.recoveryIdleMs,
    batch: Settings.recoveryBatchSize
  })

  /** A publish that fails leaves the payout due again at once, for the next pass. */
  const requeue = (t: Open) =>
    queue.publish({ transactionId: t.transactionId, userId: t.userId, expectedAttempts: t.attempts }).pipe(
      Effect.as(1),
      Effect.catchAll(() => Effect.as(Effect.ignore(store.markUnqueued(t.transactionId)), 0))
    )

  const runOnce = Effect.gen(function* () {
    // The claim is recorded in the store, so every worker and every restart shares it.
    const due = yield* store.claimStuck(idleMs, batch)
    if (due.length === 0) return 0
    const sent = yield* Effect.forEach(due, requeue, { concurrency: 16 })
    const count = sent.reduce((a, b) => a + b, 0)
    yield* Metric.incrementBy(recoveryRequeued, count)
    yield* Effect.logInfo("recovery re-queued payouts", {
      count,
      failed: due.length - count,
      initiated: due.filter((t) => t._tag === "initiated").length,
      leaseExpired: due.filter((t) => t._tag === "processing").length
    })
    return count
  }).pipe(Effect.withSpan("Recovery.runOnce"))

  return { runOnce } satisfies RecoveryShape
})

/**
 * Nothing stays held forever: a payout whose message never reached the broker
 * (a gateway that died, or a broker that was down), or whose settlement attempt
 * died with its lease, is put on the queue again. A live attempt renews its
 * lease, so Recovery never races it.
 */
export class Recovery extends Context.Tag("swiftpay/Recovery")<Recovery, RecoveryShape>() {
  static readonly layer = Layer.effect(Recovery, make)
}

/** The worker's Recovery loop: a pass every RECOVERY_INTERVAL_MS for the life of the layer. */
export const RecoveryLoop = Layer.scopedDiscard(
  Effect.gen(function* () {
    const recovery = yield* Recovery
    const interval = yield* Config.map(Settings.recoveryIntervalMs, (ms) => Schedule.spaced(`${ms} millis`))
    yield* forkPasses(recovery.runOnce, "recovery pass", interval)
  })
)
