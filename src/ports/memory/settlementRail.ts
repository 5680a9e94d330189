import { Clock, Config, type ConfigError, Context, Effect, Either, Layer, Random } from "effect"
import { TransactionId } from "../../domain/index.js"
import { RailBook, type RailCall, type RailDecision } from "../RailBook.js"
import { RailReturns } from "../RailReturns.js"
import {
  RailFailure,
  RailOutcomeUnknown,
  type RailReceipt,
  type RailRequest,
  SettlementRail
} from "../SettlementRail.js"

export interface SimulatedRailOptions {
  readonly processingDelayMs: number
  /** Probability (0..1) that an attempt fails for good. */
  readonly failureRate: number
  /** `metadata.simulate = "return"`: how long after paying it the bank reports the payout returned (default 5 s). */
  readonly returnDelayMs?: number | undefined
}

/** The reason the simulated bank gives for the returns `metadata.simulate = "return"` asks for. */
export const SIMULATED_RETURN_REASON = "Simulated bank return"
export const DEFAULT_RETURN_DELAY_MS = 5_000

/** What the simulated rail has really paid, for tests. */
export class MemoryRail extends Context.Tag("swiftpay/MemoryRail")<
  MemoryRail,
  {
    readonly paidCount: Effect.Effect<number>
    readonly receipts: Effect.Effect<ReadonlyMap<TransactionId, RailReceipt>>
  }
>() {}

const toAnswer = (d: RailDecision): Either.Either<RailReceipt, RailFailure> =>
  d._tag === "Paid"
    ? Either.right({ reference: d.reference })
    : Either.left(new RailFailure({ transient: false, reason: d.reason }))

const outcomeOf = (a: Either.Either<RailReceipt, RailFailure>): RailCall["outcome"] =>
  Either.isRight(a) ? "paid" : a.left.transient ? "transient" : "declined"

/** The book did not answer: an earlier call may have paid, or this one may have been recorded. */
const bookDown = () => new RailOutcomeUnknown({ reason: "payout rail unavailable" })

/**
 * Sleeps the processing delay, then fails as `metadata.simulate` asks (`fail`,
 * `transient_fail` on attempt 1) or at random with `failureRate`, else pays.
 * A paid `simulate: "return"` payout is put on the book's returns schedule,
 * due `returnDelayMs` later (the first call that sees it paid sets the time).
 * A final answer (paid, or declined for good) is recorded in the `RailBook`
 * under the request's idempotency key, first writer wins: a repeated or
 * concurrent call, from this process or another, gets that first answer, so a
 * payout is never paid twice nor paid after it was declined. Every call is
 * written to the book's statement.
 */
export const make = (options: SimulatedRailOptions) =>
  Effect.gen(function* () {
    const book = yield* RailBook
    const returnDelayMs = options.returnDelayMs ?? DEFAULT_RETURN_DELAY_MS

    /** Before the answer goes out: a book that does not take it fails the call (asked again, same key). */
    const scheduleReturn = (request: RailRequest, decision: RailDecision) =>
      decision._tag === "Paid" && request.metadata.simulate === "return"
        ? Effect.flatMap(Clock.currentTimeMillis, (now) =>
            book.scheduleReturn(request.transactionId, now + returnDelayMs)
          )
        : Effect.void

    const decideNow = (request: RailRequest): Effect.Effect<RailDecision> =>
      Effect.gen(function* () {
        if (request.metadata.simulate === "fail") return { _tag: "Declined", reason: "Simulated permanent failure" }
        if ((yield* Random.next) < options.failureRate) {
          return { _tag: "Declined", reason: "Payout rail declined the transfer" }
        }
        return { _tag: "Paid", reference: `RAIL_${request.idempotencyKey}` }
      })

    const answer = (request: RailRequest) =>
      Effect.gen(function* () {
        const earlier = yield* book.lookup(request.idempotencyKey)
        if (earlier._tag === "Some") {
          yield* scheduleReturn(request, earlier.value)
          return { answer: toAnswer(earlier.value), fresh: false }
        }
        yield* Effect.sleep(options.processingDelayMs)
        if (request.metadata.simulate === "transient_fail" && request.attempt === 1) {
          return {
            answer: Either.left(new RailFailure({ transient: true, reason: "Simulated transient failure" })),
            fresh: true
          }
        }
        const decided = yield* book.decide(request.idempotencyKey, yield* decideNow(request))
        yield* scheduleReturn(request, decided.decision)
        return { answer: toAnswer(decided.decision), fresh: decided.fresh }
      })

    const pay = Effect.fn("SettlementRail.pay")(function* (request: RailRequest) {
      const startedAt = yield* Clock.currentTimeMillis
      const result = yield* answer(request).pipe(Effect.mapError(bookDown))
      const endedAt = yield* Clock.currentTimeMillis
      yield* book
        .record({
          transactionId: request.transactionId,
          idempotencyKey: request.idempotencyKey,
          attempt: request.attempt,
          startedAt,
          endedAt,
          outcome: outcomeOf(result.answer),
          fresh: result.fresh
        })
        .pipe(
          Effect.catchAll(() =>
            Effect.logWarning("rail statement not written", { transactionId: request.transactionId })
          )
        )
      return yield* result.answer
    })

    return SettlementRail.of({ pay })
  })

/** The simulated bank's returns feed: its book's returns schedule, each due one reported with SIMULATED_RETURN_REASON. */
export const makeReturns = Effect.map(RailBook, (book) =>
  RailReturns.of({
    due: (limit) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => book.dueReturns(now, limit)).pipe(
        Effect.map((due) =>
          due.map((r) => ({
            transactionId: TransactionId.make(r.transactionId),
            reason: SIMULATED_RETURN_REASON,
            returnedAt: r.dueAt
          }))
        )
      ),
    acknowledge: (transactionId) => book.clearReturn(transactionId)
  })
)

/** The simulated rail and its returns feed on whatever `RailBook` is provided (memory in `npm start`, Redis in the worker). */
export const layer = (options: SimulatedRailOptions): Layer.Layer<SettlementRail | RailReturns, never, RailBook> =>
  Layer.merge(Layer.effect(SettlementRail, make(options)), Layer.effect(RailReturns, makeReturns))

export const layerConfig = (
  config: Config.Config.Wrap<SimulatedRailOptions>
): Layer.Layer<SettlementRail | RailReturns, ConfigError.ConfigError, RailBook> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))

/** The tests' view of the bank, read from the `RailBook`. */
export const handle: Layer.Layer<MemoryRail, never, RailBook> = Layer.effect(
  MemoryRail,
  Effect.map(RailBook, (book) => {
    /** The transfers the bank made: calls that decided "paid" (a replayed answer is no transfer). */
    const transfers = Effect.map(Effect.orDie(book.statement), (calls) =>
      calls.filter((c) => c.fresh && c.outcome === "paid")
    )
    return MemoryRail.of({
      paidCount: Effect.map(transfers, (t) => t.length),
      receipts: Effect.map(
        transfers,
        (t): ReadonlyMap<TransactionId, RailReceipt> =>
          new Map(t.map((c) => [c.transactionId as TransactionId, { reference: `RAIL_${c.idempotencyKey}` }]))
      )
    })
  })
)
