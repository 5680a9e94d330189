import { Effect } from "effect"
import { reconcile } from "../../domain/index.js"
import type { PayoutStoreShape } from "../../ports/PayoutStore.js"
import { AccountDoc, AuditDoc, decode, PostingDoc, TransactionDoc } from "./documents.js"
import { call, query, transact } from "./driver.js"
import type { Records } from "./records.js"

const open = { status: { $in: ["scheduled", "initiated", "processing"] } }

export const makeQueries = (
  r: Records
): Pick<PayoutStoreShape, "getTransaction" | "accounts" | "audit" | "reconcile" | "ping"> => {
  const { c } = r
  const all =
    <A, I>(schema: Parameters<typeof decode<A, I>>[0]) =>
    (docs: ReadonlyArray<unknown>) =>
      Effect.forEach(docs, decode(schema))

  return {
    getTransaction: Effect.fn("MongoPayoutStore.getTransaction")((transactionId) =>
      query(r.transaction(transactionId))
    ),

    accounts: Effect.fn("MongoPayoutStore.accounts")(function* (userId) {
      const docs = yield* query(call(() => c.accounts.find({ userId }).sort({ _id: 1 }).toArray()))
      return yield* all(AccountDoc)(docs)
    }),

    audit: Effect.fn("MongoPayoutStore.audit")(function* (transactionId) {
      const docs = yield* query(call(() => c.audit.find({ transactionId }).sort({ at: 1, _id: 1 }).toArray()))
      return yield* all(AuditDoc)(docs)
    }),

    /**
     * One snapshot of accounts, ledger and open payouts (a read-only transaction),
     * checked by the domain's reconcile. It reads the whole ledger: an operator's
     * check, not a request path.
     */
    reconcile: transact(r.mongo, (session) =>
      Effect.all({
        accounts: Effect.flatMap(
          call(() => c.accounts.find({}, { session }).toArray()),
          all(AccountDoc)
        ),
        postings: Effect.flatMap(
          call(() => c.ledger.find({}, { session }).toArray()),
          all(PostingDoc)
        ),
        open: Effect.flatMap(
          call(() => c.transactions.find(open, { session }).toArray()),
          all(TransactionDoc)
        )
      })
    ).pipe(
      Effect.catchTag("DuplicateKey", Effect.die),
      Effect.map(({ accounts, postings, open }) => reconcile(accounts, postings, open)),
      Effect.withSpan("MongoPayoutStore.reconcile")
    ),

    ping: query(call(() => r.mongo.db.command({ ping: 1 }))).pipe(
      Effect.asVoid,
      Effect.withSpan("MongoPayoutStore.ping")
    )
  }
}
