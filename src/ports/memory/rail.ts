import { Config, type ConfigError, Context, Effect, Either, HashMap, Layer, Option, Random, Ref } from "effect"
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
 * A final answer (paid, or declined for good) is one atomic insert keyed by
 * transactionId: a repeated or concurrent call gets that first answer, so a
 * payout is never paid twice nor paid after it was declined.
 */
export const make = (options: SimulatedRailOptions) =>
  Effect.gen(function* () {
    const decided = yield* Ref.make(HashMap.empty<TransactionId, Either.Either<RailReceipt, RailFailure>>())

    const decide = (id: TransactionId, answer: Either.Either<RailReceipt, RailFailure>) =>
      Ref.modify(decided, (map) =>
        Option.match(HashMap.get(map, id), {
          onSome: (first) => [first, map],
          onNone: () => [answer, HashMap.set(map, id, answer)]
        })
      )

    const answer = (request: RailRequest): Effect.Effect<Either.Either<RailReceipt, RailFailure>> =>
      Effect.gen(function* () {
        const simulate = request.metadata.simulate
        if (simulate === "fail")
          return Either.left(new RailFailure({ transient: false, reason: "Simulated permanent failure" }))
        if ((yield* Random.next) < options.failureRate) {
          return Either.left(new RailFailure({ transient: false, reason: "Payout rail declined the transfer" }))
        }
        return Either.right({ reference: `RAIL_${request.transactionId}_${request.attempt}` })
      })

    const pay = Effect.fn("SettlementRail.pay")(function* (request: RailRequest) {
      const earlier = HashMap.get(yield* Ref.get(decided), request.transactionId)
      if (Option.isSome(earlier)) return yield* earlier.value
      yield* Effect.sleep(options.processingDelayMs)
      if (request.metadata.simulate === "transient_fail" && request.attempt === 1) {
        return yield* new RailFailure({ transient: true, reason: "Simulated transient failure" })
      }
      return yield* Effect.flatten(Effect.flatMap(answer(request), (a) => decide(request.transactionId, a)))
    })

    const receipts = Ref.get(decided).pipe(
      Effect.map((map) => new Map(HashMap.toEntries(HashMap.filterMap(map, (a) => Either.getRight(a)))))
    )
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
