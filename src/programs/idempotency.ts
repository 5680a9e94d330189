import { createHash } from "node:crypto"
import { Effect, Exit } from "effect"
import type { IdempotencyScope, IdempotentResult, ResultOf } from "../domain/index.js"
import type { IdempotencyClaim, IdempotencyTicket, PayoutStoreShape } from "../ports/PayoutStore.js"

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

export type Idempotent<A, R extends IdempotentResult = IdempotentResult> =
  | { readonly _tag: "Fresh"; readonly value: A }
  | { readonly _tag: "Replay"; readonly result: R }

/** A scope's keys remember only its own kind of result; anything else is a broken store. */
const ofScope = <S extends IdempotencyScope>(scope: S, result: IdempotentResult): Effect.Effect<ResultOf<S>> =>
  result._tag === scope._tag
    ? Effect.succeed(result as ResultOf<S>)
    : Effect.dieMessage(`a ${scope._tag} key holds a ${result._tag} result`)

/**
 * Runs `work` at most once per key: a repeat replays the remembered result; a
 * run that fails gives the key back so the client can retry. The store records
 * the result in the same atomic step that moves the money.
 */
export const withIdempotency = <S extends IdempotencyScope, A, E, R>(
  store: PayoutStoreShape,
  claim: IdempotencyClaim<S> | null,
  leaseMs: number,
  work: (ticket: IdempotencyTicket | null) => Effect.Effect<A, E, R>
) =>
  claim === null
    ? Effect.map(work(null), (value): Idempotent<A, ResultOf<S>> => ({ _tag: "Fresh", value }))
    : Effect.acquireUseRelease(
        store.beginIdempotent(claim, leaseMs),
        (begun) =>
          begun._tag === "Replay"
            ? Effect.map(
                ofScope(claim.scope, begun.result),
                (result): Idempotent<A, ResultOf<S>> => ({
                  _tag: "Replay",
                  result
                })
              )
            : Effect.map(work(begun.ticket), (value): Idempotent<A, ResultOf<S>> => ({ _tag: "Fresh", value })),
        (begun, exit) =>
          begun._tag === "Started" && Exit.isFailure(exit)
            ? store.abandonIdempotent(begun.ticket).pipe(Effect.ignoreLogged)
            : Effect.void
      )
