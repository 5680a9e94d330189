import { Config, type ConfigError, Context, Effect, HashMap, Layer, Option, Random, Ref } from "effect"
import type { TransactionId } from "../../domain/index.js"
import { Settings } from "../../settings.js"
import { RailFailure, type RailReceipt, type RailRequest, SettlementRail } from "../SettlementRail.js"

export interface SimulatedRailOptions {
  readonly processingDelayMs: number
  /** Probability (0..1) that an attempt fails for good. */
  readonly failureRate: number
}

/** What the simulated rail has really paid, for tests. */
export class MemoryRail extends Context.Tag("swiftpay/MemoryRail")<
  MemoryRail,
  {
    readonly paidCount: Effect.Effect<number>
    readonly receipts: Effect.Effect<ReadonlyMap<TransactionId, RailReceipt>>
  }
>() {}

/**
 * Sleeps the processing delay, then fails as `metadata.simulate` asks (`fail`,
 * `transient_fail` on attempt 1) or at random with `failureRate`, else pays.
 * Paying is one atomic insert keyed by transactionId, so a repeated or
 * concurrent call returns the first receipt and never pays twice.
 */
export const make = (options: SimulatedRailOptions) =>
  Effect.gen(function* () {
    const paid = yield* Ref.make(HashMap.empty<TransactionId, RailReceipt>())

    const pay = Effect.fn("SettlementRail.pay")(function* (request: RailRequest) {
      const earlier = HashMap.get(yield* Ref.get(paid), request.transactionId)
      if (Option.isSome(earlier)) return earlier.value
      yield* Effect.sleep(options.processingDelayMs)
      const simulate = request.metadata.simulate
      if (simulate === "fail") {
        return yield* new RailFailure({ transient: false, reason: "Simulated permanent failure" })
      }
      if (simulate === "transient_fail" && request.attempt === 1) {
        return yield* new RailFailure({ transient: true, reason: "Simulated transient failure" })
      }
      if ((yield* Random.next) < options.failureRate) {
        return yield* new RailFailure({ transient: false, reason: "Payout rail declined the transfer" })
      }
      const receipt: RailReceipt = { reference: `RAIL_${request.transactionId}_${request.attempt}` }
      return yield* Ref.modify(paid, (map) =>
        Option.match(HashMap.get(map, request.transactionId), {
          onSome: (first) => [first, map],
          onNone: () => [receipt, HashMap.set(map, request.transactionId, receipt)]
        })
      )
    })

    const receipts = Ref.get(paid).pipe(Effect.map((map) => new Map(map)))
    return {
      rail: SettlementRail.of({ pay }),
      memory: MemoryRail.of({ paidCount: Effect.map(receipts, (m) => m.size), receipts })
    }
  })

/** The simulated rail with these options, plus its `MemoryRail` handle. */
export const layerWith = (options: SimulatedRailOptions): Layer.Layer<SettlementRail | MemoryRail> =>
  Layer.effectContext(
    Effect.map(make(options), ({ rail, memory }) =>
      Context.make(SettlementRail, rail).pipe(Context.add(MemoryRail, memory))
    )
  )

/** Options from `PAYOUT_PROCESSING_DELAY_MS` and `PAYOUT_FAILURE_RATE`. */
export const layerConfig = (): Layer.Layer<SettlementRail | MemoryRail, ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(
      Config.all({ processingDelayMs: Settings.processingDelayMs, failureRate: Settings.failureRate }),
      layerWith
    )
  )
