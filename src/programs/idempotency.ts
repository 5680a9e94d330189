import { createHash } from "node:crypto"
import { Effect, Exit } from "effect"
import type { IdempotencyClaim, IdempotencyTicket, IdempotentResult, PayoutStoreShape } from "../ports/PayoutStore.js"

/** A stable digest of a request: same fields, same fingerprint, whatever the key order. */
export const fingerprint = (value: unknown): string => createHash("sha256").update(canonical(value)).digest("hex")

const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`
  }
  return JSON.stringify(value)
}

export type Idempotent<A> =
  | { readonly _tag: "Fresh"; readonly value: A }
  | { readonly _tag: "Replay"; readonly result: IdempotentResult }

/**
 * Runs `work` at most once per key: a repeat replays the remembered result; a
 * run that fails gives the key back so the client can retry. The store records
 * the result in the same atomic step that moves the money.
 */
export const withIdempotency = <A, E, R>(
  store: PayoutStoreShape,
  claim: IdempotencyClaim | null,
  leaseMs: number,
  work: (ticket: IdempotencyTicket | null) => Effect.Effect<A, E, R>
) =>
  claim === null
    ? Effect.map(work(null), (value): Idempotent<A> => ({ _tag: "Fresh", value }))
    : Effect.acquireUseRelease(
        store.beginIdempotent(claim, leaseMs),
        (begun) =>
          begun._tag === "Replay"
            ? Effect.succeed<Idempotent<A>>(begun)
            : Effect.map(work(begun.ticket), (value): Idempotent<A> => ({ _tag: "Fresh", value })),
        (begun, exit) =>
          begun._tag === "Started" && Exit.isFailure(exit)
            ? store.abandonIdempotent(begun.ticket).pipe(Effect.ignoreLogged)
            : Effect.void
      )
