// SwiftPay seed data and indexes for MongoDB (mongosh script).
//
// docker compose mounts it in /docker-entrypoint-initdb.d, so it runs once, on the first
// start of an empty data volume, against MONGO_INITDB_DATABASE. By hand:
//   mongosh "$MONGODB_URI" docker/mongo-init.js
// Idempotent: a second run changes nothing (upserts with $setOnInsert, createIndex).
//
// Money is in integer minor units (cents), stored as int64 like the application does.
// Every seeded balance is written together with its FUND posting (funding -N,
// available +N), so the ledger reconciles. Documents and indexes follow
// src/infra/mongo/ (documents.ts, indexes.ts): keep the two in step.

const target = db.getName() === "test" ? db.getSiblingDB("swiftpay") : db

const SEED_USERS = [
  { userId: "user_001", name: "Alice Johnson", email: "alice@example.com", currency: "USD", balanceMinor: 1000000 },
  { userId: "user_002", name: "Bob Smith", email: "bob@example.com", currency: "USD", balanceMinor: 500000 },
  { userId: "user_003", name: "Charlie Brown", email: "charlie@example.com", currency: "USD", balanceMinor: 1500000 }
]

// The same specs as src/infra/mongo/indexes.ts, so its createIndexes at start-up is a no-op.
// Unique indexes only bind documents that have the field.
const uniqueWhere = (field) => ({ unique: true, partialFilterExpression: { [field]: { $exists: true } } })

target.users.createIndex({ userId: 1 }, uniqueWhere("userId"))
target.users.createIndex({ status: 1, userId: 1 }) // admin user list within a status
target.accounts.createIndex({ userId: 1, currency: 1 }, uniqueWhere("userId"))
target.accounts.createIndex({ currency: 1, userId: 1 }) // admin user list by currency
target.transactions.createIndex({ transactionId: 1 }, uniqueWhere("transactionId"))
target.transactions.createIndex({ userId: 1, createdAt: -1, transactionId: -1 }) // history, newest first
target.transactions.createIndex({ status: 1, queuedAt: 1 }) // recovery: open payouts off the queue the longest
target.transactions.createIndex({ createdAt: -1, transactionId: -1 }) // admin payout list, newest first
target.transactions.createIndex({ status: 1, createdAt: -1, transactionId: -1 }) // admin payout list within a status
target.ledger_entries.createIndex({ postingId: 1 }, uniqueWhere("postingId"))
target.ledger_entries.createIndex({ userId: 1, currency: 1, at: 1 }) // reconcile per account
target.ledger_entries.createIndex({ userId: 1, currency: 1, seq: 1 }, uniqueWhere("seq")) // an account's statement
target.ledger_entries.createIndex({ transactionId: 1 })
target.auditlogs.createIndex({ transactionId: 1, at: 1 }) // GET /api/payout/:id/audit
target.auditlogs.createIndex({ userId: 1, at: 1 })
target.events.createIndex({ eventId: 1 }, uniqueWhere("eventId"))
target.events.createIndex({ userId: 1, sequence: 1 }) // GET /api/events, socket resume
target.events.createIndex({ recordedAt: 1 }) // relay and prune: oldest first
target.event_counters.createIndex({ userId: 1 }, uniqueWhere("userId"))
target.webhook_endpoints.createIndex({ id: 1 }, uniqueWhere("id"))
target.webhook_endpoints.createIndex({ userId: 1, createdAt: 1 }) // a user's endpoints, oldest first
target.webhook_deliveries.createIndex({ id: 1 }, uniqueWhere("id"))
target.webhook_deliveries.createIndex({ endpointId: 1, createdAt: -1, id: -1 }) // an endpoint's deliveries, newest first
target.webhook_deliveries.createIndex({ "state._tag": 1, "state.nextAttemptAt": 1 }) // dispatcher: oldest due first
target.payout_batches.createIndex({ id: 1 }, uniqueWhere("id")) // a batch by its id
target.idempotency_keys.createIndex({ scope: 1, key: 1 }, { unique: true })
// TTL: MongoDB removes a key once expiresAt (a BSON Date) has passed; keys live ≥ 24 h.
target.idempotency_keys.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 })

const now = Date.now()
const cents = (n) => NumberLong(String(n))

for (const u of SEED_USERS) {
  target.users.updateOne(
    { _id: u.userId },
    {
      $setOnInsert: {
        userId: u.userId,
        name: u.name,
        email: u.email,
        currency: u.currency,
        status: "active",
        createdAt: now
      }
    },
    { upsert: true }
  )

  const accountId = `${u.userId}:${u.currency}`
  const postingId = `seed:FUND:${accountId}`
  const account = target.accounts.findOne({ _id: accountId })
  const posting = target.ledger_entries.findOne({ postingId })

  if (account !== null && posting === null) {
    // The account exists without our posting: it was made by the application, leave it alone.
    print(`seed: account ${accountId} already exists, not funding it`)
    continue
  }

  // Posting first, then the balance it explains: an interrupted run is completed by the next one.
  target.ledger_entries.updateOne(
    { postingId },
    {
      $setOnInsert: {
        postingId,
        kind: "FUND",
        userId: u.userId,
        currency: u.currency,
        transactionId: null,
        lines: [
          { bucket: "funding", amount: cents(-u.balanceMinor) },
          { bucket: "available", amount: cents(u.balanceMinor) }
        ],
        at: now,
        seq: 1,
        balanceAfter: { available: cents(u.balanceMinor), held: cents(0), paidOut: cents(0) }
      }
    },
    { upsert: true }
  )
  target.accounts.updateOne(
    { _id: accountId },
    {
      $setOnInsert: {
        userId: u.userId,
        currency: u.currency,
        available: cents(u.balanceMinor),
        held: cents(0),
        paidOut: cents(0),
        funded: cents(u.balanceMinor),
        postings: cents(1)
      }
    },
    { upsert: true }
  )

  for (const [action, details] of [
    ["USER_CREATED", { currency: u.currency, seed: true }],
    ["ACCOUNT_CREDITED", { amount: u.balanceMinor, currency: u.currency, seed: true }]
  ]) {
    target.auditlogs.updateOne(
      { _id: `seed:${action}:${accountId}` },
      { $setOnInsert: { userId: u.userId, transactionId: null, action, at: now, details } },
      { upsert: true }
    )
  }
}

print(`seed: ${target.users.countDocuments({ _id: { $in: SEED_USERS.map((u) => u.userId) } })} seeded users in ${target.getName()}`)
