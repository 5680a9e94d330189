import { Clock, Config, Context, Effect, HashMap, Layer, Option, Ref, Schedule } from "effect"
import type { ServiceUnavailable, TransactionId } from "../domain/index.js"
import { PayoutQueue } from "../ports/PayoutQueue.js"
import { PayoutStore } from "../ports/PayoutStore.js"
import { Settings } from "../settings.js"

export interface RecoveryShape {
  /**
   * Re-queues every payout idle in initiated/processing past the threshold, at most
   * once per threshold for the same attempt; returns how many it re-queued.
   */
  readonly runOnce: Effect.Effect<number, ServiceUnavailable>
}

const make = Effect.gen(function* () {
  const store = yield* PayoutStore
  const queue = yield* PayoutQueue
  const idleMs = yield* Settings.recoveryIdleMs
  // What this process last re-queued, by payout and attempt: a slow queue must not be fed
  // the same payout on every pass, or recovery would grow the very backlog it waits on.
  const requeued = yield* Ref.make(HashMap.empty<TransactionId, { readonly attempts: number; readonly at: number }>())

  const runOnce = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const stuck = yield* store.stuck(idleMs, 500)
    const before = yield* Ref.get(requeued)
    const due = stuck.filter((t) =>
      Option.match(HashMap.get(before, t.transactionId), {
        onNone: () => true,
        onSome: (last) => last.attempts !== t.attempts || now - last.at >= idleMs
      })
    )
    yield* Effect.forEach(
      due,
      (t) => queue.publish({ transactionId: t.transactionId, userId: t.userId, expectedAttempts: t.attempts }),
      { concurrency: 16, discard: true }
    )
    const stillStuck = HashMap.filter(before, (_, id) => stuck.some((t) => t.transactionId === id))
    yield* Ref.set(
      requeued,
      due.reduce((m, t) => HashMap.set(m, t.transactionId, { attempts: t.attempts, at: now }), stillStuck)
    )
    if (due.length > 0) yield* Effect.logInfo("recovery re-queued stuck payouts", { count: due.length })
    return due.length
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
