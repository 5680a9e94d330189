import { randomUUID } from "node:crypto"
import { Clock, Data, Effect, Option } from "effect"
import { IDEMPOTENCY_RETENTION_MS, IdempotencyKeyInUse, IdempotencyKeyReused, scopeKey } from "../../domain/index.js"
import type { IdempotencyBegin, PayoutStoreShape } from "../../ports/PayoutStore.js"
import { decode, encode, IdempotencyDoc, PendingDoc } from "./documents.js"
import { call, classify, query } from "./driver.js"
import { pendingFilter, type Records } from "./records.js"

/** Another request changed the record between our read and our write: read again. */
class LostRace extends Data.TaggedError("LostRace") {}

/**
 * Each step is a single-document compare-and-set on (scope, key), so no
 * transaction is needed: the unique index makes the first insert win, and a
 * take-over matches the exact record it saw.
 */
export const makeIdempotency = (r: Records): Pick<PayoutStoreShape, "beginIdempotent" | "abandonIdempotent"> => ({
  beginIdempotent: Effect.fn("MongoPayoutStore.beginIdempotent")(function* (claim, leaseMs) {
    const scope = scopeKey(claim.scope)
    const attempt = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const doc = yield* call(() => r.c.idempotency.findOne({ scope, key: claim.key }))
      const found: Option.Option<IdempotencyDoc> =
        doc === null ? Option.none() : Option.some(yield* decode(IdempotencyDoc)(doc))
      const live = Option.filter(found, (rec) => rec.expiresAt.getTime() > now)
      if (Option.isSome(live)) {
        const rec = live.value
        if (rec.fingerprint !== claim.fingerprint)
          return yield* Effect.fail(new IdempotencyKeyReused({ key: claim.key }))
        if (rec.state === "completed") return { _tag: "Replay", result: rec.result } satisfies IdempotencyBegin
        if (rec.leaseUntil > now) return yield* Effect.fail(new IdempotencyKeyInUse({ key: claim.key }))
      }
      const token = randomUUID()
      const next = yield* encode(PendingDoc)({
        scope,
        key: claim.key,
        fingerprint: claim.fingerprint,
        expiresAt: new Date(now + IDEMPOTENCY_RETENTION_MS),
        state: "pending",
        token,
        leaseUntil: now + leaseMs
      })
      if (Option.isNone(found)) {
        yield* call(() => r.c.idempotency.insertOne({ ...next }))
      } else {
        const seen = found.value
        const same =
          seen.state === "pending" ? { token: seen.token } : { state: "completed", expiresAt: seen.expiresAt }
        const replaced = yield* call(() => r.c.idempotency.replaceOne({ scope, key: claim.key, ...same }, { ...next }))
        if (replaced.matchedCount === 0) return yield* Effect.fail(new LostRace())
      }
      return { _tag: "Started", ticket: { scope: claim.scope, key: claim.key, token } } satisfies IdempotencyBegin
    })
    return yield* attempt.pipe(
      classify,
      Effect.catchTag("DuplicateKey", () => Effect.fail(new LostRace())),
      Effect.retry({ times: 3, while: (e) => e._tag === "LostRace" }),
      Effect.catchTag("LostRace", () => Effect.fail(new IdempotencyKeyInUse({ key: claim.key })))
    )
  }),

  abandonIdempotent: Effect.fn("MongoPayoutStore.abandonIdempotent")((ticket) =>
    query(call(() => r.c.idempotency.deleteOne(pendingFilter(ticket)))).pipe(Effect.asVoid)
  )
})
