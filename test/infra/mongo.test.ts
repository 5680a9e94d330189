import { describe, expect, it } from "@effect/vitest"
import { CongoServer } from "@push.rocks/smartmongo/dist_ts/congodb/index.js"
import { Context, Effect, Either, Exit, Layer, Redacted, Schema, TestClock } from "effect"
import { type Collection, type Db, Long } from "mongodb"
import { attemptOf, minor, UserId } from "../../src/domain/index.js"
import { Mongo } from "../../src/infra/mongo/client.js"
import { AccountDoc, StoredMinor } from "../../src/infra/mongo/documents.js"
import * as MongoPayoutStore from "../../src/infra/mongo/payoutStore.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { seedUsers } from "../../src/programs/seed.js"
import { freshTxn, fundedUser, payout } from "../contracts/payoutStore.js"
import { congoClient, freePort } from "./mongoServer.js"

const raw = (collection: string) => Effect.map(Mongo, (m) => m.db.collection(collection))
const store = Layer.provideMerge(MongoPayoutStore.layer, congoClient)

describe("stored money", () => {
  // CongoServer keeps every number as a JS number, so the int64 encoding is checked here, on the schema
  it("is written as int64 and read back from int64 or number, integers only", () => {
    const encoded = Schema.encodeSync(AccountDoc)({
      userId: UserId.make("u_1"),
      currency: "USD",
      available: minor(5),
      held: minor(0),
      paidOut: minor(0),
      funded: minor(5)
    })
    expect(encoded.available).toBeInstanceOf(Long)
    const decode = Schema.decodeUnknownEither(StoredMinor)
    expect(decode(Long.fromNumber(1_000_000_000_000_00))).toEqual(Either.right(1_000_000_000_000_00))
    expect(decode(7)).toEqual(Either.right(7))
    expect(Either.isLeft(decode(1.5))).toBe(true)
    expect(Either.isLeft(decode(-1))).toBe(true)
    expect(Either.isLeft(decode(Long.MAX_VALUE))).toBe(true)
  })
})

describe("MongoPayoutStore on CongoServer", () => {
  it.layer(Layer.orDie(store))((it) => {
    it.effect("a transaction is stored with its state in `status`", () =>
      Effect.gen(function* () {
        const s = yield* PayoutStore
        const userId = yield* fundedUser(1_000)
        const { transaction: t } = yield* s.reserve(payout(userId, 250), null)
        const transactions = yield* raw("transactions")
        const stored = yield* Effect.promise(() => transactions.findOne({ transactionId: t.transactionId }))
        expect(stored).toMatchObject({ status: "initiated", amount: 250, attempts: 0 })
        expect(stored).not.toHaveProperty("_tag")
      })
    )

    it.effect("starting the layer again on the same database is a no-op for its indexes", () =>
      Effect.gen(function* () {
        const again = yield* Layer.build(MongoPayoutStore.layer).pipe(Effect.scoped, Effect.exit)
        expect(Exit.isSuccess(again)).toBe(true)
      })
    )

    it.effect("seedUsers funds the docs/api.md users through the ledger once", () =>
      Effect.gen(function* () {
        const s = yield* PayoutStore
        const first = yield* seedUsers
        const second = yield* seedUsers
        expect(first).toEqual(["user_001", "user_002", "user_003"])
        expect(second).toEqual([])
        const [alice] = yield* s.accounts(UserId.make("user_001"))
        expect(alice).toMatchObject({ available: 1_000_000, funded: 1_000_000 })
        expect((yield* s.reconcile).differences).toEqual([])
      })
    )
    it.effect("open payouts written before leases existed are migrated at start-up and found by Recovery", () =>
      Effect.gen(function* () {
        const s = yield* PayoutStore
        const userId = yield* fundedUser(1_000)
        const { transaction: initiated } = yield* s.reserve(payout(userId, 100), null)
        const { transaction: processing } = yield* s.reserve(payout(userId, 200), null)
        yield* s.startProcessing(processing.transactionId, 0, { owner: "old", ms: 60_000 })
        const transactions = yield* raw("transactions")
        // as the previous release stored them
        yield* Effect.promise(() =>
          transactions.updateMany(
            { transactionId: { $in: [initiated.transactionId, processing.transactionId] } },
            { $unset: { queuedAt: "", claimedBy: "", claimedUntil: "" } }
          )
        )
        const restarted = yield* Layer.build(MongoPayoutStore.layer).pipe(
          Effect.map((ctx) => Context.get(ctx, PayoutStore))
        )
        const due = (yield* restarted.claimStuck(0, 10_000)).filter((t) => t.userId === userId)
        expect(due.map((t) => t.transactionId).sort()).toEqual(
          [initiated.transactionId, processing.transactionId].sort()
        )
        const claim = yield* restarted.startProcessing(processing.transactionId, 1, { owner: "new", ms: 1_000 })
        expect(claim).toMatchObject({ _tag: "Claimed", transaction: { attempts: 2, claimedBy: "new" } })
      }).pipe(Effect.scoped)
    )

    it.effect("a stored document that does not decode is a defect, not a value", () =>
      Effect.gen(function* () {
        const s = yield* PayoutStore
        const transactionId = freshTxn()
        const transactions = yield* raw("transactions")
        yield* Effect.promise(() => transactions.insertOne({ transactionId, status: "initiated", amount: 1.5 }))
        const exit = yield* Effect.exit(s.getTransaction(transactionId))
        expect(Exit.isFailure(exit) && exit.cause._tag).toBe("Die")
      })
    )
  })

  describe("a write that lands between the store's read and its compare-and-set", () => {
    /** Run once, right after the store's next read of a transaction document, before it writes. */
    let afterRead: ((transactions: Collection) => Promise<unknown>) | undefined
    const interleaved = Layer.effect(
      Mongo,
      Effect.map(Mongo, (m) => {
        const collection = (name: string) => {
          const real = m.db.collection(name)
          if (name !== "transactions") return real
          return Object.create(real, {
            findOne: {
              value: async (...args: Parameters<Collection["findOne"]>) => {
                const doc = await real.findOne(...args)
                const hook = afterRead
                afterRead = undefined
                if (hook) await hook(real)
                return doc
              }
            }
          }) as Collection
        }
        return { client: m.client, db: Object.create(m.db, { collection: { value: collection } }) as Db }
      })
    )
    const hooked = Layer.orDie(
      // fresh: it.layer memoizes layers across blocks; this store needs its own server and the hooked client
      Layer.provide(Layer.fresh(MongoPayoutStore.layer), Layer.provide(interleaved, Layer.fresh(congoClient)))
    )

    it.layer(hooked)((it) => {
      it.effect("a take-over of an expired lease loses to the heartbeat that renewed it meanwhile", () =>
        Effect.gen(function* () {
          const s = yield* PayoutStore
          const userId = yield* fundedUser(1_000)
          const { transaction: t } = yield* s.reserve(payout(userId, 300), null)
          const first = yield* s.startProcessing(t.transactionId, 0, { owner: "w1", ms: 1_000 })
          if (first._tag !== "Claimed") return expect.unreachable()
          const old = attemptOf(first.transaction)
          yield* TestClock.adjust(1_000)
          const now = first.transaction.claimedUntil
          // w2 reads the lease as expired; w1's heartbeat renews it before w2 writes
          afterRead = (transactions) =>
            transactions.updateOne(
              { transactionId: t.transactionId, claimedBy: "w1" },
              { $set: { claimedUntil: now + 10_000 } }
            )
          const takeover = yield* s.startProcessing(t.transactionId, 0, { owner: "w2", ms: 1_000 })
          expect(afterRead).toBeUndefined()
          expect(takeover).toMatchObject({ _tag: "Busy", transaction: { attempts: 1, claimedBy: "w1" } })
          expect(yield* s.settle(old)).toMatchObject({ moved: true, transaction: { _tag: "completed" } })
          expect((yield* s.reconcile).differences).toEqual([])
        })
      )
    })
  })

  it.live("a server that stops answering is ServiceUnavailable, not a defect", () =>
    Effect.gen(function* () {
      const server = new CongoServer({ port: yield* freePort, host: "127.0.0.1" })
      yield* Effect.promise(() => server.start())
      const uri = Redacted.make(`${server.getConnectionUri()}/?serverMonitoringMode=poll`)
      const layer = MongoPayoutStore.layer.pipe(
        Layer.provide(Mongo.layer({ uri, database: "down", serverSelectionTimeoutMS: 300 }))
      )
      yield* Effect.gen(function* () {
        const s = yield* PayoutStore
        const userId = yield* fundedUser(100)
        yield* s.ping
        yield* Effect.promise(() => server.stop())
        expect((yield* Effect.flip(s.ping))._tag).toBe("ServiceUnavailable")
        expect((yield* Effect.flip(s.reserve(payout(userId, 10), null)))._tag).toBe("ServiceUnavailable")
      }).pipe(Effect.provide(Layer.orDie(layer)))
    })
  )
})
