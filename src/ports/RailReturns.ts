import { Context, type Effect } from "effect"
import type { ServiceUnavailable } from "../domain/errors.js"
import type { TransactionId } from "../domain/index.js"

/** A payout the bank paid and then sent back (the beneficiary's account closed, a wrong account number...). */
export interface RailReturn {
  readonly transactionId: TransactionId
  readonly reason: string
  /** When the bank reported it. */
  readonly returnedAt: number
}

/**
 * The rail's returns feed: payouts it paid and sent back later, reported until
 * acknowledged. The feed is the rail's, so it survives restarts of the service;
 * a return is acknowledged only once it is recorded on our side (a crash in
 * between reports it again, and recording it again moves nothing).
 */
export interface RailReturnsShape {
  /** Returns reported by now and not acknowledged, oldest first, at most `limit`. */
  readonly due: (limit: number) => Effect.Effect<ReadonlyArray<RailReturn>, ServiceUnavailable>
  /** The return is recorded: the rail reports it no more. */
  readonly acknowledge: (transactionId: TransactionId) => Effect.Effect<void, ServiceUnavailable>
}

export class RailReturns extends Context.Tag("swiftpay/RailReturns")<RailReturns, RailReturnsShape>() {}
