/**
 * The MongoDB PayoutStore.
 *
 * Atomicity: every money movement runs in ONE multi-document transaction
 * (`session.withTransaction`, snapshot reads, majority writes) that writes the
 * account's balance change, its ledger posting, the transaction document, its
 * audit entry and the idempotency record together. A movement touches four or
 * five documents in different collections; doing that with single-document
 * updates would need an ordered write sequence plus a recovery sweep for every
 * crash point, which is more code to get wrong than a transaction, and
 * docker compose runs a replica set so transactions are available.
 *
 * Inside the transaction every write is still conditional (the debited bucket
 * must cover the amount; a transaction is replaced only from the status and
 * attempts it was read with; postings and transactions have unique business
 * keys), so a repeat is a no-op that returns the current state, and the
 * answers stay right even where isolation is weaker (CongoServer in tests).
 * Idempotency claims are single-document compare-and-sets and need no transaction.
 */
import { Effect, Layer } from "effect"
import type { LimitDefaults } from "../../domain/index.js"
import { PayoutStore, type PayoutStoreShape } from "../../ports/PayoutStore.js"
import { Mongo } from "./client.js"
import { makeIdempotency } from "./idempotency.js"
import { collections, ensureIndexes } from "./indexes.js"
import { makeIntake } from "./intake.js"
import { makeQueries } from "./queries.js"
import { makeReads } from "./reads.js"
import { makeRecords } from "./records.js"
import { makeRecovery, migrateOpenPayouts } from "./recovery.js"
import { makeSettlement } from "./settlement.js"
import { makeUsers } from "./users.js"

/** Builds the store on a connected client; creates the indexes first (idempotent). */
export const make = (dailyLimits: LimitDefaults = {}) =>
  Effect.gen(function* () {
    const mongo = yield* Mongo
    const c = collections(mongo.db)
    yield* ensureIndexes(c)
    yield* migrateOpenPayouts(c)
    const records = makeRecords(mongo, c)
    const store: PayoutStoreShape = {
      ...makeUsers(records),
      ...makeIdempotency(records),
      ...makeIntake(records, dailyLimits),
      ...makeSettlement(records),
      ...makeQueries(records),
      ...makeReads(records),
      ...makeRecovery(records)
    }
    return store
  })

/** On the `Mongo` client provided (`Mongo.layer` / `Mongo.layerConfig` in infra/mongo/client.ts). */
export const layer = Layer.effect(PayoutStore, make())

/** With the daily limit defaults the runtime read from the settings. */
export const layerWith = (dailyLimits: LimitDefaults) => Layer.effect(PayoutStore, make(dailyLimits))
