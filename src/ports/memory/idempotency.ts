import { randomUUID } from "node:crypto"
import { Either } from "effect"
import {
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyKeyInUse,
  IdempotencyKeyReused,
  type IdempotencyScope,
  type IdempotentResult,
  scopeKey
} from "../../domain/index.js"
import type { IdempotencyBegin, IdempotencyClaim, IdempotencyTicket } from "../PayoutStore.js"

type IdempotencyRecord = {
  readonly fingerprint: string
  readonly expiresAt: number
  readonly state:
    | { readonly _tag: "pending"; readonly token: string; readonly leaseUntil: number }
    | { readonly _tag: "completed"; readonly result: IdempotentResult }
}

const keyOf = (scope: IdempotencyScope, key: string) => `${scopeKey(scope)}\u0000${key}`

/**
 * The in-memory store's idempotency records. Plain synchronous functions: the
 * store calls them inside its own atomic blocks, next to the money they guard.
 */
export const makeIdempotencyRecords = () => {
  const records = new Map<string, IdempotencyRecord>()

  const holds = (ticket: IdempotencyTicket | null): boolean => {
    if (ticket === null) return true
    const rec = records.get(keyOf(ticket.scope, ticket.key))
    return rec?.state._tag === "pending" && rec.state.token === ticket.token
  }

  const begin = (
    claim: IdempotencyClaim,
    leaseMs: number,
    now: number
  ): Either.Either<IdempotencyBegin, IdempotencyKeyInUse | IdempotencyKeyReused> => {
    const k = keyOf(claim.scope, claim.key)
    const found = records.get(k)
    const rec = found && found.expiresAt > now ? found : undefined
    if (rec && rec.fingerprint !== claim.fingerprint) return Either.left(new IdempotencyKeyReused({ key: claim.key }))
    if (rec?.state._tag === "completed") return Either.right({ _tag: "Replay", result: rec.state.result })
    if (rec?.state._tag === "pending" && rec.state.leaseUntil > now) {
      return Either.left(new IdempotencyKeyInUse({ key: claim.key }))
    }
    const token = randomUUID()
    records.set(k, {
      fingerprint: claim.fingerprint,
      expiresAt: now + IDEMPOTENCY_RETENTION_MS,
      state: { _tag: "pending", token, leaseUntil: now + leaseMs }
    })
    return Either.right({ _tag: "Started", ticket: { scope: claim.scope, key: claim.key, token } })
  }

  const abandon = (ticket: IdempotencyTicket) => {
    if (holds(ticket)) records.delete(keyOf(ticket.scope, ticket.key))
  }

  const complete = (ticket: IdempotencyTicket | null, result: IdempotentResult, now: number) => {
    if (ticket === null) return
    const k = keyOf(ticket.scope, ticket.key)
    const rec = records.get(k)
    if (rec) records.set(k, { ...rec, expiresAt: now + IDEMPOTENCY_RETENTION_MS, state: { _tag: "completed", result } })
  }

  return { holds, begin, abandon, complete }
}
