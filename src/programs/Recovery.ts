import { Config, Context, Effect, Layer, Schedule } from "effect"
import type { ServiceUnavailable } from "../domain/index.js"
import { PayoutQueue } from "../ports/PayoutQueue.js"
import { PayoutStore } from "../ports/PayoutStore.js"
import { Settings } from "../settings.js"

export interface RecoveryShape {
  /** Re-queues every payout idle in initiated/processing past the threshold; returns how many. */
  readonly runOnce: Effect.Effect<number, ServiceUnavailable>
}

const make = Effect.gen(function* () {
  const store = yield* PayoutStore
  const queue = yield* PayoutQueue
  const idleMs = yield* Settings.recoveryIdleMs

  const runOnce = Effect.gen(function* () {
    const stuck = yield* store.stuck(idleMs, 500)
    yield* Effect.forEach(
      stuck,
      (t) => queue.publish({ transactionId: t.transactionId, userId: t.userId, expectedAttempts: t.attempts }),
      { concurrency: 16, discard: true }
    )
    if (stuck.length > 0) yield* Effect.logInfo("recovery re-queued stuck payouts", { count: stuck.length })
    return stuck.length
  }).pipe(Effect.withSpan("Recovery.runOnce"))

  return { runOnce } satisfies RecoveryShape
})

/**
 * Nothing stays held forever: a crash between reserve and publish, or in the
 * middle of a settlement, leaves an open payout that this re-drives. Every
 * settlement step is conditional, so re-driving a live payout is harmless.
 */
export class Recovery extends Context.Tag("swiftpay/Recovery")<Recovery, RecoveryShape>() {
  static readonly layer = Layer.effect(Recovery, make)

  /** The worker's loop: runs every RECOVERY_INTERVAL_MS for the life of the layer. */
  static readonly loop = Layer.scopedDiscard(
    Effect.gen(function* () {
      const recovery = yield* Recovery
      const interval = yield* Config.map(Settings.recoveryIntervalMs, (ms) => Schedule.spaced(`${ms} millis`))
      yield* recovery.runOnce.pipe(
        Effect.catchAll((e) => Effect.logWarning("recovery pass failed", e)),
        // a defect in one pass (a document that does not decode, an unknown driver error) must not end the loop
        Effect.catchAllDefect((defect) => Effect.logError("recovery pass died", defect)),
        Effect.repeat(interval),
        Effect.forkScoped
      )
    })
  )
}
