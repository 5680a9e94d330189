import { Context, Data, type Effect } from "effect"
import type { Currency, Metadata, Minor, TransactionId, UserId } from "../domain/index.js"

export interface RailRequest {
  readonly transactionId: TransactionId
  /**
   * The rail's idempotency key, the same for every attempt of a payout (its
   * transactionId): the rail answers a repeated key with its first decision.
   */
  readonly idempotencyKey: string
  readonly userId: UserId
  readonly amount: Minor
  readonly currency: Currency
  readonly metadata: Metadata
  /** 1 for the first attempt. */
  readonly attempt: number
}

export interface RailReceipt {
  readonly reference: string
}

export class RailFailure extends Data.TaggedError("RailFailure")<{
  readonly transient: boolean
  readonly reason: string
}> {}

/**
 * No answer (a timeout, the rail unreachable): the transfer may or may not have
 * happened. Never a reason to give the money back; ask again with the same key.
 */
export class RailOutcomeUnknown extends Data.TaggedError("RailOutcomeUnknown")<{
  readonly reason: string
}> {}

/**
 * The payout rail. Calls carry an idempotency key, so a repeated call never pays
 * twice, from any process. A `RailFailure` is the rail's own answer (declined,
 * or a transient refusal under which nothing was paid for that key); a
 * `RailOutcomeUnknown` is the lack of one.
 */
export interface SettlementRailShape {
  readonly pay: (request: RailRequest) => Effect.Effect<RailReceipt, RailFailure | RailOutcomeUnknown>
}

export class SettlementRail extends Context.Tag("swiftpay/SettlementRail")<SettlementRail, SettlementRailShape>() {}
