import { Context, Data, type Effect } from "effect"
import type { Currency, Metadata, Minor, TransactionId, UserId } from "../domain/index.js"

export interface RailRequest {
  readonly transactionId: TransactionId
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

/** The payout rail. Calls are keyed by transactionId, so a repeated call never pays twice. */
export interface SettlementRailShape {
  readonly pay: (request: RailRequest) => Effect.Effect<RailReceipt, RailFailure>
}

export class SettlementRail extends Context.Tag("swiftpay/SettlementRail")<SettlementRail, SettlementRailShape>() {}
