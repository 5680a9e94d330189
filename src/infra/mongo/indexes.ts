import { Effect } from "effect"
import type { Collection, Db, IndexDescription } from "mongodb"
import type { ServiceUnavailable } from "../../domain/index.js"
import { call, query } from "./driver.js"

export const collections = (db: Db) => ({
  users: db.collection("users"),
  accounts: db.collection("accounts"),
  transactions: db.collection("transactions"),
  ledger: db.collection("ledger_entries"),
  audit: db.collection("auditlogs"),
  idempotency: db.collection("idempotency_keys"),
  events: db.collection("events"),
  eventCounters: db.collection("event_counters"),
  webhookEndpoints: db.collection("webhook_endpoints"),
  webhookDeliveries: db.collection("webhook_deliveries"),
  batches: db.collection("payout_batches")
})
export type Collections = ReturnType<typeof collections>

/** Unique on business keys, never on `_id`; partial so that they match docker/mongo-init.js exactly (same options → a no-op). */
const uniqueWhere = (field: string) => ({ unique: true, partialFilterExpression: { [field]: { $exists: true } } })

const indexes = (c: Collections): ReadonlyArray<readonly [Collection, Array<IndexDescription>]> => [
  [
    c.users,
    [
      { key: { userId: 1 }, ...uniqueWhere("userId") },
      // the admin's user list: by userId within a status
      { key: { status: 1, userId: 1 } }
    ]
  ],
  [
    c.accounts,
    [
      { key: { userId: 1, currency: 1 }, ...uniqueWhere("userId") },
      // the admin's user list by currency: the holders in userId order
      { key: { currency: 1, userId: 1 } }
    ]
  ],
  [
    c.transactions,
    [
      { key: { transactionId: 1 }, ...uniqueWhere("transactionId") },
      // history: newest first with a (createdAt, transactionId) cursor
      { key: { userId: 1, createdAt: -1, transactionId: -1 } },
      // recovery: open payouts off the queue the longest
      { key: { status: 1, queuedAt: 1 } },
      // the admin's payout list: newest first, across users and within a status
      { key: { createdAt: -1, transactionId: -1 } },
      { key: { status: 1, createdAt: -1, transactionId: -1 } }
    ]
  ],
  [
    c.ledger,
    [
      { key: { postingId: 1 }, ...uniqueWhere("postingId") },
      { key: { userId: 1, currency: 1, at: 1 } },
      // an account's statement: its postings by seq (unique: one posting per place)
      { key: { userId: 1, currency: 1, seq: 1 }, ...uniqueWhere("seq") },
      { key: { transactionId: 1 } }
    ]
  ],
  [
    c.events,
    [
      { key: { eventId: 1 }, ...uniqueWhere("eventId") },
      // reads and resumes: a user's events by sequence
      { key: { userId: 1, sequence: 1 } },
      // the relay and the prune: oldest first
      { key: { recordedAt: 1 } }
    ]
  ],
  [c.eventCounters, [{ key: { userId: 1 }, ...uniqueWhere("userId") }]],
  [
    c.webhookEndpoints,
    [
      { key: { id: 1 }, ...uniqueWhere("id") },
      // a user's endpoints, oldest first (and the per-user count)
      { key: { userId: 1, createdAt: 1 } }
    ]
  ],
  [
    c.webhookDeliveries,
    [
      { key: { id: 1 }, ...uniqueWhere("id") },
      // an endpoint's deliveries, newest first with a (createdAt, id) cursor; deleting an endpoint's
      { key: { endpointId: 1, createdAt: -1, id: -1 } },
      // the dispatcher: pending deliveries, oldest due first
      { key: { "state._tag": 1, "state.nextAttemptAt": 1 } }
    ]
  ],
  [c.batches, [{ key: { id: 1 }, ...uniqueWhere("id") }]],
  [c.audit, [{ key: { transactionId: 1, at: 1 } }, { key: { userId: 1, at: 1 } }]],
  [
    c.idempotency,
    [
      { key: { scope: 1, key: 1 }, unique: true },
      // TTL: MongoDB drops a record once its expiresAt (a Date) has passed
      { key: { expiresAt: 1 }, expireAfterSeconds: 0 }
    ]
  ]
]

/** Creating an index that exists with the same options is a no-op, so this runs at every start-up. */
export const ensureIndexes = (c: Collections): Effect.Effect<void, ServiceUnavailable> =>
  Effect.forEach(indexes(c), ([collection, specs]) => call(() => collection.createIndexes(specs)), {
    discard: true
  }).pipe(query, Effect.withSpan("MongoPayoutStore.ensureIndexes"))
