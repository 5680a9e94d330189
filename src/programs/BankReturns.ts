import { Config, Context, Effect, Layer, Schedule } from "effect"
import type { ServiceUnavailable } from "../domain/index.js"
import { type RailReturn, RailReturns } from "../ports/RailReturns.js"
import { Settings } from "../settings.js"
import { PayoutChanges } from "./PayoutChanges.js"
import { forkPasses } from "./passLoop.js"

export interface BankReturnsShape {
  /** Records the returns the rail reports now; returns how many payouts it moved to `returned`. */
  readonly runOnce: Effect.Effect<number, ServiceUnavailable>
}

/** Not settled on our side yet (a settle still to come, after a crash): the return waits for the next pass. */
const OPEN = new Set(["scheduled", "initiated", "processing"])

const make = Effect.gen(function* () {
  const returns = yield* RailReturns
  const changes = yield* PayoutChanges
  const batch = yield* Settings.recoveryBatchSize

  /** 1 when this pass moved the payout; acknowledged once recorded (or never recordable), so a crash reports it again. */
  const record = (r: RailReturn) =>
    changes.recordRailReturn(r.transactionId, r.reason).pipe(
      Effect.flatMap((finish) => Effect.as(returns.acknowledge(r.transactionId), finish.moved ? 1 : 0)),
      Effect.catchTags({
        PayoutNotReturnable: (e) =>
          OPEN.has(e.status)
            ? Effect.as(Effect.logDebug("rail return of a payout not completed yet, later", { status: e.status }), 0)
            : Effect.as(
                Effect.zipRight(
                  Effect.logWarning("rail return of a payout that cannot be returned, dropped", { status: e.status }),
                  returns.acknowledge(r.transactionId)
                ),
                0
              ),
        TransactionNotFound: () =>
          Effect.as(
            Effect.zipRight(
              Effect.logWarning("rail return of an unknown payout, dropped"),
              returns.acknowledge(r.transactionId)
            ),
            0
          )
      }),
      // a store or book blip: the return stays reported, the next pass tries again
      Effect.catchTag("ServiceUnavailable", (e) =>
        Effect.as(Effect.logWarning("rail return not recorded yet", { dependency: e.dependency }), 0)
      ),
      Effect.annotateLogs({ transactionId: r.transactionId })
    )

  const runOnce = Effect.gen(function* () {
    const due = yield* returns.due(batch)
    if (due.length === 0) return 0
    const moved = (yield* Effect.forEach(due, record, { concurrency: 16 })).reduce((a, b) => a + b, 0)
    if (moved > 0) yield* Effect.logInfo("rail returns recorded", { count: moved })
    return moved
  }).pipe(Effect.withSpan("BankReturns.runOnce"))

  return { runOnce } satisfies BankReturnsShape
})

/**
 * Payouts the bank sent back on its own (the rail's returns feed): each goes
 * completed → returned through the same store step as an admin's return,
 * recorded by SYSTEM_ACTOR, at most once (the step is a compare-and-set).
 * The feed is the rail's, so a return due while the worker was down is
 * recorded by the next pass of any worker.
 */
export class BankReturns extends Context.Tag("swiftpay/BankReturns")<BankReturns, BankReturnsShape>() {
  static readonly layer = Layer.effect(BankReturns, make)
}

/** The worker's returns loop: a pass every RECOVERY_INTERVAL_MS for the life of the layer. */
export const BankReturnsLoop = Layer.scopedDiscard(
  Effect.gen(function* () {
    const bank = yield* BankReturns
    const interval = yield* Config.map(Settings.recoveryIntervalMs, (ms) => Schedule.spaced(`${ms} millis`))
    yield* forkPasses(bank.runOnce, "rail returns pass", interval)
  })
)
