import { Effect } from "effect"
import { eventFor, type Transaction } from "../domain/index.js"
import type { EventBusShape } from "../ports/EventBus.js"
import type { PayoutStoreShape } from "../ports/PayoutStore.js"

/**
 * Tells every gateway where a payout now stands. Best effort: the state is already
 * durable, and a lost event must never undo or block a money movement.
 */
export const announce = (store: PayoutStoreShape, bus: EventBusShape, t: Transaction) =>
  Effect.gen(function* () {
    const accounts = yield* store.accounts(t.userId)
    const balance = accounts.find((a) => a.currency === t.currency)?.available
    yield* bus.publish(eventFor(t, balance))
  }).pipe(Effect.catchAll((e) => Effect.logWarning("payout event not published", e)))
