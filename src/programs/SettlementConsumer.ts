import { Effect, Layer } from "effect"
import { PayoutQueue } from "../ports/PayoutQueue.js"
import { Settings } from "../settings.js"
import { PayoutSettlement } from "./PayoutSettlement.js"

/** Consumes `payout_queue` for the life of the layer, WORKER_CONCURRENCY settlements at once. */
export const SettlementConsumer = Layer.scopedDiscard(
  Effect.gen(function* () {
    const queue = yield* PayoutQueue
    const settlement = yield* PayoutSettlement
    const concurrency = yield* Settings.workerConcurrency
    yield* Effect.forkScoped(
      queue
        .consume(settlement.handle, { concurrency })
        .pipe(Effect.tapErrorCause((cause) => Effect.logError("payout consumer stopped", cause)))
    )
  })
)
