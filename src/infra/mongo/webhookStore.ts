import { Effect, Layer, Option } from "effect"
import type { Document, Filter } from "mongodb"
import {
  type DeliveryState,
  type WebhookDelivery,
  type WebhookEndpoint,
  WebhookLimitReached
} from "../../domain/index.js"
import { WebhookStore, type WebhookStoreShape } from "../../ports/WebhookStore.js"
import { Mongo } from "./client.js"
import { decode, encode, WebhookDeliveryDoc, WebhookEndpointDoc } from "./documents.js"
import { call, classify, DuplicateKey, query } from "./driver.js"
import { collections } from "./indexes.js"

/**
 * The driver writes an `undefined` field as `null`; the domain's optional
 * fields are absent instead, so they are dropped before a write.
 */
const defined = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(defined)
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, defined(v)])
  )
}

const toEndpoint = decode(WebhookEndpointDoc)
const toDelivery = decode(WebhookDeliveryDoc)
const endpointDoc = (e: WebhookEndpoint) => Effect.map(encode(WebhookEndpointDoc)(e), (doc) => defined(doc) as Document)
const deliveryDoc = (d: WebhookDelivery) => Effect.map(encode(WebhookDeliveryDoc)(d), (doc) => defined(doc) as Document)

/** Pending, due by `now`, and not leased or its lease has run out. */
const dueBy = (now: number): Filter<Document> => ({
  "state._tag": "pending",
  "state.nextAttemptAt": { $lte: now },
  $or: [{ lease: { $exists: false } }, { "lease.until": { $lte: now } }]
})

const oldestDueFirst = (a: WebhookDelivery, b: WebhookDelivery) =>
  (a.state._tag === "pending" ? a.state.nextAttemptAt : 0) - (b.state._tag === "pending" ? b.state.nextAttemptAt : 0) ||
  a.createdAt - b.createdAt

/** Rounds of candidates a claim makes while racing claimers take its candidates first. */
const CLAIM_ROUNDS = 10

/**
 * `webhook_endpoints` and `webhook_deliveries` (indexes: see indexes.ts). Both
 * are keyed by the domain's `id` (unique index), not by `_id`: CongoServer, the
 * in-process stand-in the tests run on, can only store ObjectId `_id`s. Every
 * write is one conditional operation on one document.
 */
export const make = Effect.gen(function* () {
  const { webhookEndpoints: endpoints, webhookDeliveries: deliveries } = collections((yield* Mongo).db)

  /** Inserts the document unless one with its `id` exists: true when it did. */
  const insertNew = (doc: Document) =>
    classify(call(() => deliveries.updateOne({ id: doc.id }, { $setOnInsert: doc }, { upsert: true }))).pipe(
      Effect.map((r) => r.upsertedCount > 0),
      // two racing upserts of the same id on a real server: the unique index lets one in
      Effect.catchIf(
        (e): e is DuplicateKey => e instanceof DuplicateKey,
        () => Effect.succeed(false)
      )
    )

  const existingEndpoints = (ids: ReadonlyArray<string>) =>
    query(call(() => endpoints.find({ id: { $in: [...ids] } }, { projection: { id: 1 } }).toArray())).pipe(
      Effect.map((docs) => new Set(docs.map((d) => String(d.id))))
    )

  /** Leases one candidate if it is still due: the filter is the claim, so a racing claimer gets null. */
  const lease = (id: string, now: number, owner: string, leaseMs: number) =>
    query(
      call(() =>
        deliveries.findOneAndUpdate(
          { id, ...dueBy(now) },
          { $set: { lease: { owner, until: now + leaseMs } } },
          { returnDocument: "after" }
        )
      )
    ).pipe(Effect.flatMap((doc) => (doc === null ? Effect.succeed(Option.none()) : Effect.asSome(toDelivery(doc)))))

  const store: WebhookStoreShape = {
    createEndpoint: (endpoint, maxPerUser) =>
      Effect.gen(function* () {
        // Count, then insert: two creations racing for a user's last slot can both pass the count
        // (one endpoint over the limit). A conditional form needs a per-user counter document written
        // in the same transaction, which CongoServer does not roll back.
        const owned = yield* query(call(() => endpoints.countDocuments({ userId: endpoint.userId })))
        if (owned >= maxPerUser) return yield* new WebhookLimitReached({ limit: maxPerUser })
        const doc = yield* endpointDoc(endpoint)
        yield* classify(call(() => endpoints.updateOne({ id: endpoint.id }, { $setOnInsert: doc }, { upsert: true })))
      }).pipe(
        Effect.catchIf(
          (e): e is DuplicateKey => e instanceof DuplicateKey,
          () => Effect.void
        )
      ),

    getEndpoint: (id) =>
      query(call(() => endpoints.findOne({ id }))).pipe(
        Effect.flatMap((doc) => (doc === null ? Effect.succeed(Option.none()) : Effect.asSome(toEndpoint(doc))))
      ),

    listEndpoints: (userId) =>
      query(call(() => endpoints.find({ userId }).sort({ createdAt: 1, _id: 1 }).toArray())).pipe(
        Effect.flatMap((docs) => Effect.forEach(docs, toEndpoint))
      ),

    updateEndpoint: (id, patch, now, when = {}) =>
      Effect.gen(function* () {
        const { disabledReason, status, ...rest } = patch
        const set: Record<string, unknown> = { updatedAt: now }
        const unset: Record<string, ""> = {}
        for (const [key, value] of Object.entries(rest)) {
          if (value === undefined) unset[key] = ""
          else set[key] = defined(value)
        }
        if (status !== undefined) set.status = status
        // enabled clears the reason; a reason is written only with `status: "disabled"` (as the port says)
        if (status === "enabled") unset.disabledReason = ""
        else if (status === "disabled" && disabledReason !== undefined) set.disabledReason = disabledReason
        const filter: Filter<Document> = {
          id,
          ...(when.url === undefined ? {} : { url: when.url }),
          ...(when.secret === undefined ? {} : { secret: when.secret })
        }
        const doc = yield* query(
          call(() =>
            endpoints.findOneAndUpdate(
              filter,
              { $set: set, ...(Object.keys(unset).length === 0 ? {} : { $unset: unset }) },
              { returnDocument: "after" }
            )
          )
        )
        return doc === null ? Option.none() : Option.some(yield* toEndpoint(doc))
      }),

    deleteEndpoint: (id) =>
      Effect.gen(function* () {
        // the endpoint first: an enqueue racing with this sees it gone and removes what it added (see enqueue)
        const { deletedCount } = yield* query(call(() => endpoints.deleteOne({ id })))
        yield* query(call(() => deliveries.deleteMany({ endpointId: id })))
        return deletedCount > 0
      }),

    enqueue: (batch) =>
      Effect.gen(function* () {
        if (batch.length === 0) return 0
        const known = yield* existingEndpoints([...new Set(batch.map((d) => d.endpointId))])
        const added: Array<WebhookDelivery> = []
        for (const d of batch) {
          if (!known.has(d.endpointId)) continue
          if (yield* insertNew(yield* deliveryDoc(d))) added.push(d)
        }
        if (added.length === 0) return 0
        // An endpoint deleted between the check above and the inserts: its deletion's deleteMany may
        // have run before them, so remove them here (the endpoint is gone for good, ids are random).
        const still = yield* existingEndpoints([...new Set(added.map((d) => d.endpointId))])
        const orphans = added.filter((d) => !still.has(d.endpointId))
        if (orphans.length > 0) {
          yield* query(call(() => deliveries.deleteMany({ id: { $in: orphans.map((d) => d.id) } })))
        }
        return added.length - orphans.length
      }),

    claimDue: ({ now, owner, leaseMs, limit }) =>
      Effect.gen(function* () {
        const claimed: Array<WebhookDelivery> = []
        // Candidates first, then each leased by its own conditional write. A racing claimer may take
        // some candidates first: then look again for the rest, until there is no more due.
        for (let round = 0; round < CLAIM_ROUNDS && claimed.length < limit; round++) {
          const wanted = limit - claimed.length
          const candidates = yield* query(
            call(() =>
              deliveries
                .find(dueBy(now), { projection: { id: 1 } })
                .sort({ "state.nextAttemptAt": 1, createdAt: 1 })
                .limit(wanted)
                .toArray()
            )
          )
          let lost = 0
          for (const c of candidates) {
            const got = yield* lease(String(c.id), now, owner, leaseMs)
            if (Option.isSome(got)) claimed.push(got.value)
            else lost++
          }
          if (lost === 0 || candidates.length === 0) break
        }
        return claimed.sort(oldestDueFirst)
      }),

    recordAttempt: ({ deliveryId, owner, attempt, next }) => {
      if (attempt.attempt < 1) return Effect.succeed(false)
      const filter = {
        id: deliveryId,
        "state._tag": "pending",
        "lease.owner": owner,
        attempts: { $size: attempt.attempt - 1 }
      }
      // typed as a plain Document: the driver's PushOperator refuses a push on an untyped collection
      const update = (state: DeliveryState): Document => ({
        $push: { attempts: defined(attempt) },
        $set: { state: defined(state) },
        $unset: { lease: "", retryRequested: "" }
      })
      const write = (extra: Document, state: DeliveryState) =>
        query(call(() => deliveries.updateOne({ ...filter, ...extra }, update(state)))).pipe(
          Effect.map((r) => r.modifiedCount > 0)
        )
      // a retry asked for during the attempt keeps it due right after it, whatever it ended in
      return Effect.flatMap(write({ retryRequested: { $ne: true } }, next), (done) =>
        done
          ? Effect.succeed(true)
          : write({ retryRequested: true }, { _tag: "pending", nextAttemptAt: attempt.at + attempt.durationMs })
      )
    },

    getDelivery: (id) =>
      query(call(() => deliveries.findOne({ id }))).pipe(
        Effect.flatMap((doc) => (doc === null ? Effect.succeed(Option.none()) : Effect.asSome(toDelivery(doc))))
      ),

    listDeliveries: (endpointId, { before, limit }) =>
      Effect.gen(function* () {
        if (limit <= 0) return []
        let filter: Filter<Document> = { endpointId }
        if (before !== undefined) {
          const cursor = yield* query(call(() => deliveries.findOne({ id: before }, { projection: { createdAt: 1 } })))
          if (cursor === null) return []
          filter = {
            endpointId,
            $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: before } }]
          }
        }
        const docs = yield* query(
          call(() => deliveries.find(filter).sort({ createdAt: -1, id: -1 }).limit(limit).toArray())
        )
        return yield* Effect.forEach(docs, toDelivery)
      }),

    pruneDeliveries: (createdBefore) =>
      query(
        call(() =>
          deliveries.deleteMany({ "state._tag": { $in: ["delivered", "failed"] }, createdAt: { $lt: createdBefore } })
        )
      ).pipe(Effect.map((r) => r.deletedCount)),

    retry: (id, now) =>
      Effect.gen(function* () {
        const due = { _tag: "pending", nextAttemptAt: now }
        // an attempt in flight (a live lease) is told to leave it due; otherwise it is simply due now
        const leased = yield* query(
          call(() =>
            deliveries.updateOne({ id, "lease.until": { $gt: now } }, { $set: { state: due, retryRequested: true } })
          )
        )
        if (leased.matchedCount === 0) yield* query(call(() => deliveries.updateOne({ id }, { $set: { state: due } })))
        const doc = yield* query(call(() => deliveries.findOne({ id })))
        return doc === null ? Option.none() : Option.some(yield* toDelivery(doc))
      })
  }
  return store
})

/** On the `Mongo` client provided. */
export const layer = Layer.effect(WebhookStore, make)
