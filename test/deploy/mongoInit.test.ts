import { runInNewContext } from "node:vm"
import { Effect } from "effect"
import type { Db } from "mongodb"
import { describe, expect, it } from "vitest"
import { ensureIndexes, collections as storeCollections } from "../../src/infra/mongo/indexes.js"
import { readRepoFile } from "./repo.js"

/**
 * docker/mongo-init.js run against a small in-memory stand-in for mongosh's `db`
 * (no MongoDB server on these machines): just the calls the script makes.
 */
type Doc = Record<string, unknown>
type IndexSpec = { keys: Record<string, number>; options: Record<string, unknown> }

const matches = (doc: Doc, filter: Doc): boolean =>
  Object.entries(filter).every(([field, cond]) => {
    if (cond !== null && typeof cond === "object" && "$in" in cond)
      return (cond.$in as Array<unknown>).includes(doc[field])
    return doc[field] === cond
  })

class FakeCollection {
  readonly docs: Array<Doc> = []
  readonly indexes: Array<IndexSpec> = []
  private nextId = 0
  createIndex(keys: Record<string, number>, options: Record<string, unknown> = {}) {
    const same = this.indexes.find((i) => JSON.stringify(i.keys) === JSON.stringify(keys))
    if (same && JSON.stringify(same.options) !== JSON.stringify(options)) throw new Error("IndexOptionsConflict")
    if (!same) this.indexes.push({ keys, options })
  }
  findOne(filter: Doc) {
    return this.docs.find((d) => matches(d, filter)) ?? null
  }
  countDocuments(filter: Doc) {
    return this.docs.filter((d) => matches(d, filter)).length
  }
  updateOne(filter: Doc, update: { $setOnInsert?: Doc }, options: { upsert?: boolean } = {}) {
    const keys = Object.keys(update)
    if (keys.some((k) => k !== "$setOnInsert")) throw new Error(`unexpected update operators ${keys}`)
    if (this.findOne(filter) !== null) return { matchedCount: 1, upsertedCount: 0 }
    if (!options.upsert) return { matchedCount: 0, upsertedCount: 0 }
    const doc: Doc = { ...filter, ...update.$setOnInsert }
    if (doc._id === undefined) doc._id = `oid${this.nextId++}`
    this.docs.push(structuredClone(doc))
    return { matchedCount: 0, upsertedCount: 1 }
  }
}

const makeDb = (name: string) => {
  const collections = new Map<string, FakeCollection>()
  const collection = (c: string) => {
    if (!collections.has(c)) collections.set(c, new FakeCollection())
    return collections.get(c) as FakeCollection
  }
  const db: Record<string, unknown> = new Proxy(
    { getName: () => name, getSiblingDB: () => db },
    { get: (target, prop: string) => (prop in target ? target[prop as keyof typeof target] : collection(prop)) }
  )
  return { db, collections, collection }
}

/** mongosh's NumberLong, as a tagged value so the tests see which numbers are int64. */
type FakeLong = { readonly int64: string }
const NumberLong = (text: string): FakeLong => {
  if (typeof text !== "string" || !/^-?\d+$/.test(text)) throw new Error(`NumberLong(${text})`)
  return { int64: text }
}
const int64 = (value: unknown): number => {
  expect(value, "money must be stored as int64").toHaveProperty("int64")
  return Number((value as FakeLong).int64)
}

const script = readRepoFile("docker/mongo-init.js")
const run = (db: unknown) => runInNewContext(script, { db, print: () => {}, Date, NumberLong })

const snapshot = (collections: Map<string, FakeCollection>) =>
  JSON.stringify([...collections].map(([name, c]) => [name, c.docs, c.indexes]))

describe("docker/mongo-init.js", () => {
  it("seeds the three users of docs/api.md, active, USD, with balances in cents", () => {
    const { db, collection } = makeDb("swiftpay")
    run(db)
    expect(collection("users").docs.map((u) => [u._id, u.userId, u.name, u.status, u.currency])).toEqual([
      ["user_001", "user_001", "Alice Johnson", "active", "USD"],
      ["user_002", "user_002", "Bob Smith", "active", "USD"],
      ["user_003", "user_003", "Charlie Brown", "active", "USD"]
    ])
    const accounts = collection("accounts").docs
    expect(accounts.map((a) => [a._id, int64(a.available), int64(a.held), int64(a.paidOut), int64(a.funded)])).toEqual([
      ["user_001:USD", 1_000_000, 0, 0, 1_000_000],
      ["user_002:USD", 500_000, 0, 0, 500_000],
      ["user_003:USD", 1_500_000, 0, 0, 1_500_000]
    ])
  })

  it("writes a balanced FUND posting for every seeded balance, so the ledger reconciles", () => {
    const { db, collection } = makeDb("swiftpay")
    run(db)
    for (const account of collection("accounts").docs) {
      const postings = collection("ledger_entries").docs.filter(
        (p) => p.userId === account.userId && p.currency === account.currency
      )
      expect(postings.map((p) => [p.kind, p.transactionId])).toEqual([["FUND", null]])
      const lines = postings
        .flatMap((p) => p.lines as Array<{ bucket: string; amount: unknown }>)
        .map((l) => ({ bucket: l.bucket, amount: int64(l.amount) }))
      const sum = (bucket: string) => lines.filter((l) => l.bucket === bucket).reduce((s, l) => s + l.amount, 0)
      expect(lines.reduce((s, l) => s + l.amount, 0)).toBe(0)
      expect(sum("available")).toBe(int64(account.available))
      expect(-sum("funding")).toBe(int64(account.funded))
    }
  })

  it("is idempotent: a second run changes nothing", () => {
    const { db, collections } = makeDb("swiftpay")
    run(db)
    const first = snapshot(collections)
    run(db)
    expect(snapshot(collections)).toBe(first)
  })

  it("does not fund an account the application created itself", () => {
    const { db, collection } = makeDb("swiftpay")
    collection("accounts").docs.push({ _id: "user_002:USD", userId: "user_002", currency: "USD", available: 7 })
    run(db)
    expect(collection("accounts").findOne({ _id: "user_002:USD" })).toMatchObject({ available: 7 })
    expect(collection("ledger_entries").docs.some((p) => p.userId === "user_002")).toBe(false)
  })

  it("creates the indexes, with a TTL on idempotency_keys.expiresAt", () => {
    const { db, collection } = makeDb("swiftpay")
    run(db)
    expect(collection("idempotency_keys").indexes).toContainEqual({
      keys: { expiresAt: 1 },
      options: { expireAfterSeconds: 0 }
    })
    expect(collection("transactions").indexes.map((i) => i.keys)).toContainEqual({
      userId: 1,
      createdAt: -1,
      transactionId: -1
    })
    expect(collection("ledger_entries").indexes).toContainEqual(
      expect.objectContaining({ keys: { postingId: 1 }, options: expect.objectContaining({ unique: true }) })
    )
  })

  it("creates exactly the indexes the Mongo store ensures at start-up (so that is a no-op)", async () => {
    const { db, collections } = makeDb("swiftpay")
    run(db)
    const ensured = new Map<string, Array<IndexSpec>>()
    const fakeDriverDb = {
      collection: (name: string) => ({
        createIndexes: async (specs: Array<{ key: Record<string, number> } & Record<string, unknown>>) => {
          ensured.set(name, [
            ...(ensured.get(name) ?? []),
            ...specs.map(({ key, ...options }) => ({ keys: key, options }))
          ])
          return []
        }
      })
    } as unknown as Db
    await Effect.runPromise(ensureIndexes(storeCollections(fakeDriverDb)))
    const sorted = (specs: ReadonlyArray<IndexSpec>) => specs.map((i) => JSON.stringify(i)).sort()
    expect([...ensured.keys()].sort()).toEqual([...collections.keys()].sort())
    for (const [name, specs] of ensured) {
      expect(sorted(collections.get(name)?.indexes ?? []), name).toEqual(sorted(specs))
    }
  })
})
