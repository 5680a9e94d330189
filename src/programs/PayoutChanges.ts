import { Context, Effect, Layer, Metric, Option } from "effect"
import {
  type Actor,
  type Authorized,
  type IdempotencyKeyInUse,
  type IdempotencyKeyReused,
  IdempotencyScope,
  type PayoutNotCancelable,
  type PayoutNotReturnable,
  readOwned,
  type ServiceUnavailable,
  SYSTEM_ACTOR,
  type Transaction,
  type TransactionId,
  TransactionNotFound,
  type UserId
} from "../domain/index.js"
import { EventBus } from "../ports/EventBus.js"
import { EventLog } from "../ports/EventLog.js"
import { type Finish, PayoutStore } from "../ports/PayoutStore.js"
import { Settings } from "../settings.js"
import { announce } from "./announce.js"
import { makeDeliveredMarker } from "./deliveredMarker.js"
import { fingerprint, withIdempotency } from "./idempotency.js"
import { payoutsFinished } from "./metrics.js"

export interface PayoutChangesShape {
  /**
   * Cancels the payout for its owner or an admin while no worker has claimed it:
   * the hold goes back to available and PAYOUT_CANCELED is announced. A repeat
   * answers the canceled payout (`moved` false) and moves nothing. An
   * Idempotency-Key names one cancel of the actor's: the same key replays it
   * (`moved` false), on another payout it is IdempotencyKeyReused.
   */
  readonly cancel: (
    actor: Actor,
    transactionId: TransactionId,
    idempotencyKey?: string | null
  ) => Effect.Effect<
    Finish,
    TransactionNotFound | PayoutNotCancelable | IdempotencyKeyInUse | IdempotencyKeyReused | ServiceUnavailable
  >
  /** An admin records that the bank sent a completed payout back: paid out → available, PAYOUT_RETURNED, once. */
  readonly recordReturn: (
    admin: Authorized<"admin">,
    transactionId: TransactionId,
    reason: string
  ) => Effect.Effect<Finish, TransactionNotFound | PayoutNotReturnable | ServiceUnavailable>
  /** The same step for a return the rail reported (its returns feed), recorded by SYSTEM_ACTOR. */
  readonly recordRailReturn: (
    transactionId: TransactionId,
    reason: string
  ) => Effect.Effect<Finish, TransactionNotFound | PayoutNotReturnable | ServiceUnavailable>
}

const owned = readOwned<Transaction>()

const make = Effect.gen(function* () {
  const store = yield* PayoutStore
  const bus = yield* EventBus
  const mark = yield* makeDeliveredMarker(yield* EventLog, "bus")
  const leaseMs = yield* Settings.idempotencyLeaseMs

  const cancel = Effect.fn("PayoutChanges.cancel")(function* (
    actor: Actor,
    transactionId: TransactionId,
    idempotencyKey: string | null = null
  ) {
    const found = yield* store.getTransaction(transactionId)
    // someone else's payout is answered exactly like a missing one
    if (Option.isNone(found)) return yield* new TransactionNotFound({ transactionId })
    yield* Effect.mapError(owned(actor, found.value), () => new TransactionNotFound({ transactionId }))
    const claim =
      idempotencyKey === null
        ? null
        : { scope: IdempotencyScope.cancel(actor), key: idempotencyKey, fingerprint: fingerprint({ transactionId }) }
    const done = yield* withIdempotency(store, claim, leaseMs, (ticket) =>
      store.cancel(transactionId, actor.userId, ticket)
    )
    if (done._tag === "Replay") {
      // the key's first answer was this payout, canceled: a final state, read as it is
      const again = yield* store.getTransaction(done.result.transactionId)
      if (Option.isNone(again)) return yield* new TransactionNotFound({ transactionId })
      return { moved: false, transaction: again.value, events: [] } satisfies Finish
    }
    const finish = done.value
    yield* announce(bus, mark, finish.events)
    if (finish.moved) yield* Metric.increment(Metric.tagged(payoutsFinished, "status", "canceled"))
    return finish
  })

  /** One step for every return, whoever reports it: completed → returned, once. */
  const returned = (transactionId: TransactionId, reason: string, by: UserId) =>
    Effect.gen(function* () {
      const finish = yield* store.recordReturn(transactionId, reason, by)
      yield* announce(bus, mark, finish.events)
      if (finish.moved) yield* Metric.increment(Metric.tagged(payoutsFinished, "status", "returned"))
      return finish
    })

  const recordReturn = Effect.fn("PayoutChanges.recordReturn")(function* (
    admin: Authorized<"admin">,
    transactionId: TransactionId,
    reason: string
  ) {
    return yield* returned(transactionId, reason, admin.actor.userId)
  })

  const recordRailReturn = Effect.fn("PayoutChanges.recordRailReturn")(function* (
    transactionId: TransactionId,
    reason: string
  ) {
    return yield* returned(transactionId, reason, SYSTEM_ACTOR)
  })

  return { cancel, recordReturn, recordRailReturn } satisfies PayoutChangesShape
})

/** What happens to a payout after intake, asked for over the API: a cancel, a return. */
export class PayoutChanges extends Context.Tag("swiftpay/PayoutChanges")<PayoutChanges, PayoutChangesShape>() {
  static readonly layer = Layer.scoped(PayoutChanges, make)
}
