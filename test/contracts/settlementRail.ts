import { describe, expect } from "@effect/vitest"
import { Effect, Fiber, type Layer, Option } from "effect"
import { type Metadata, Minor, makeTransactionId, UserId } from "../../src/domain/index.js"
import { type RailRequest, SettlementRail } from "../../src/ports/SettlementRail.js"
import { scopedTest, type TimeControl, within } from "./time.js"

export interface SettlementRailContractOptions<R> {
  readonly time: TimeControl
  /** The layer's processing delay; it must never fail at random (failure rate 0). */
  readonly delayMs: number
  /** How many transfers the rail really made, when the layer can tell. */
  readonly paidCount?: Effect.Effect<number, never, R>
}

const request = (metadata: Metadata, attempt = 1) =>
  Effect.map(
    makeTransactionId,
    (transactionId): RailRequest => ({
      transactionId,
      idempotencyKey: transactionId,
      userId: UserId.make("rail-user"),
      amount: Minor.make(2_500),
      currency: "EUR",
      metadata,
      attempt
    })
  )

export const settlementRailContract = <E, R>(
  name: string,
  layer: Layer.Layer<SettlementRail | R, E>,
  options: SettlementRailContractOptions<R>
): void => {
  const { time, delayMs } = options
  const test = scopedTest(time)
  const paidCount = options.paidCount ?? Effect.succeed(Number.NaN)
  const expectPaid = (n: number) =>
    Effect.map(paidCount, (count) => {
      if (options.paidCount !== undefined) expect(count).toBe(n)
    })
  /** Runs calls side by side and lets the processing delay pass. */
  const payAll = (requests: ReadonlyArray<RailRequest>) =>
    Effect.gen(function* () {
      const rail = yield* SettlementRail
      const fibers = yield* Effect.forEach(requests, (r) => Effect.fork(Effect.either(rail.pay(r))))
      yield* time.advance(delayMs)
      return yield* Effect.forEach(fibers, Fiber.join).pipe(within("5 seconds", "the rail"))
    })
  const pay = (r: RailRequest) =>
    Effect.gen(function* () {
      const fiber = yield* Effect.fork(Effect.either(Effect.flatMap(SettlementRail, (rail) => rail.pay(r))))
      yield* time.advance(delayMs)
      return yield* Fiber.join(fiber).pipe(within("5 seconds", "the rail"))
    })

  describe(`SettlementRail contract: ${name}`, () => {
    test("pays after the processing delay, not before", () =>
      Effect.gen(function* () {
        const rail = yield* SettlementRail
        const fiber = yield* Effect.fork(rail.pay(yield* request({})))
        yield* time.advance(delayMs / 2)
        expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
        yield* time.advance(delayMs)
        const receipt = yield* Fiber.join(fiber).pipe(within("5 seconds", "the rail"))
        expect(receipt.reference).not.toBe("")
        yield* expectPaid(1)
      }).pipe(Effect.provide(layer)))

    test("a repeated call for a paid transaction returns the same receipt and pays once", () =>
      Effect.gen(function* () {
        const r = yield* request({})
        const first = yield* pay(r)
        const again = yield* pay({ ...r, attempt: 2 })
        const concurrent = yield* payAll([r, r, r])
        expect(first._tag).toBe("Right")
        expect([again, ...concurrent]).toEqual([first, first, first, first])
        yield* expectPaid(1)
      }).pipe(Effect.provide(layer)))

    test("the idempotency key decides: the same key is answered once, another key is a new transfer", () =>
      Effect.gen(function* () {
        const r = yield* request({})
        const first = yield* pay(r)
        const sameKey = yield* pay({ ...r, attempt: 2 })
        expect(sameKey).toEqual(first)
        const otherKey = yield* pay({ ...r, idempotencyKey: `${r.idempotencyKey}-other` })
        expect(otherKey._tag).toBe("Right")
        yield* expectPaid(2)
      }).pipe(Effect.provide(layer)))

    test("concurrent first calls for one transaction pay once", () =>
      Effect.gen(function* () {
        const r = yield* request({})
        const results = yield* payAll([r, r, r, r])
        expect(new Set(results.map((x) => JSON.stringify(x))).size).toBe(1)
        yield* expectPaid(1)
      }).pipe(Effect.provide(layer)))

    test("simulate=fail fails for good and pays nothing", () =>
      Effect.gen(function* () {
        const result = yield* pay(yield* request({ simulate: "fail" }))
        expect(result).toMatchObject({ _tag: "Left", left: { _tag: "RailFailure", transient: false } })
        yield* expectPaid(0)
      }).pipe(Effect.provide(layer)))

    test("simulate=transient_fail fails transiently on attempt 1 and pays on attempt 2", () =>
      Effect.gen(function* () {
        const r = yield* request({ simulate: "transient_fail" })
        expect(yield* pay(r)).toMatchObject({ _tag: "Left", left: { _tag: "RailFailure", transient: true } })
        yield* expectPaid(0)
        expect((yield* pay({ ...r, attempt: 2 }))._tag).toBe("Right")
        yield* expectPaid(1)
      }).pipe(Effect.provide(layer)))
  })
}
