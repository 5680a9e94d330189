import { Effect } from "effect"
import type { Account, UserId } from "../../domain/index.js"
import type { HistoryPage, PayoutQuery, PayoutStoreShape, UserWithAccounts } from "../../ports/PayoutStore.js"
import { AccountDoc, decode, LedgerEntryDoc, TransactionDoc, UserDoc } from "./documents.js"
import { call, query } from "./driver.js"
import type { Records } from "./records.js"

/** How many account documents one step of the currency filter reads. */
const ACCOUNT_BATCH = 200

/** The listing reads: payouts across users, users with their accounts, an account's ledger. */
export const makeReads = (r: Records): Pick<PayoutStoreShape, "history" | "payouts" | "users" | "ledger"> => {
  const { c } = r
  const all =
    <A, I>(schema: Parameters<typeof decode<A, I>>[0]) =>
    (docs: ReadonlyArray<unknown>) =>
      Effect.forEach(docs, decode(schema))

  const payouts = Effect.fnUntraced(function* ({
    limit,
    status,
    userId,
    createdFrom,
    createdBefore,
    cursor
  }: PayoutQuery) {
    const created = {
      ...(createdFrom === undefined ? {} : { $gte: createdFrom }),
      ...(createdBefore === undefined ? {} : { $lt: createdBefore })
    }
    const filter = {
      ...(userId === undefined ? {} : { userId }),
      ...(status === undefined ? {} : { status }),
      ...(Object.keys(created).length === 0 ? {} : { createdAt: created }),
      ...(cursor === undefined
        ? {}
        : {
            $or: [
              { createdAt: { $lt: cursor.createdAt } },
              { createdAt: cursor.createdAt, transactionId: { $lt: cursor.transactionId } }
            ]
          })
    }
    // one more than the page, to know whether there is a next one
    const docs = yield* query(
      call(() =>
        c.transactions
          .find(filter)
          .sort({ createdAt: -1, transactionId: -1 })
          .limit(Math.max(limit, 0) + 1)
          .toArray()
      )
    )
    const found = yield* all(TransactionDoc)(docs)
    const page = found.slice(0, limit)
    const last = page[page.length - 1]
    return {
      transactions: page,
      nextCursor:
        found.length > limit && last !== undefined
          ? { createdAt: last.createdAt, transactionId: last.transactionId }
          : null
    } satisfies HistoryPage
  })

  /** The userIds after `after` holding an account in `currency`, a batch at a time, ascending. */
  const holders = (currency: string, after: UserId | undefined) =>
    Effect.flatMap(
      query(
        call(() =>
          c.accounts
            .find({ currency, ...(after === undefined ? {} : { userId: { $gt: after } }) })
            .sort({ userId: 1 })
            .limit(ACCOUNT_BATCH)
            .toArray()
        )
      ),
      all(AccountDoc)
    ).pipe(Effect.map((as) => as.map((a) => a.userId)))

  return {
    history: Effect.fn("MongoPayoutStore.history")((userId, q) => payouts({ ...q, userId })),

    payouts: Effect.fn("MongoPayoutStore.payouts")((q) => payouts(q)),

    users: Effect.fn("MongoPayoutStore.users")(function* ({ limit, status, currency, cursor }) {
      const want = Math.max(limit, 0) + 1
      const byStatus = status === undefined ? {} : { status }
      const found: Array<typeof UserDoc.Type> = []
      if (currency === undefined) {
        const docs = yield* query(
          call(() =>
            c.users
              .find({ ...byStatus, ...(cursor === undefined ? {} : { userId: { $gt: cursor } }) })
              .sort({ userId: 1 })
              .limit(want)
              .toArray()
          )
        )
        found.push(...(yield* all(UserDoc)(docs)))
      } else {
        // the holders of the currency in userId order, then their users of that status, until the page is full
        let after = cursor
        while (found.length < want) {
          const ids = yield* holders(currency, after)
          if (ids.length === 0) break
          const docs = yield* query(
            call(() =>
              c.users
                .find({ userId: { $in: ids }, ...byStatus })
                .sort({ userId: 1 })
                .toArray()
            )
          )
          found.push(...(yield* all(UserDoc)(docs)))
          after = ids[ids.length - 1]
          if (ids.length < ACCOUNT_BATCH) break
        }
      }
      const page = found.slice(0, limit)
      const ids = page.map((u) => u.userId)
      const accountDocs = yield* query(
        call(() =>
          c.accounts
            .find({ userId: { $in: ids } })
            .sort({ userId: 1, currency: 1 })
            .toArray()
        )
      )
      const accounts = yield* all(AccountDoc)(accountDocs)
      const of = (userId: UserId): ReadonlyArray<Account> => accounts.filter((a) => a.userId === userId)
      const last = page[page.length - 1]
      return {
        users: page.map((user): UserWithAccounts => ({ user, accounts: of(user.userId) })),
        nextCursor: found.length > limit && last !== undefined ? last.userId : null
      }
    }),

    ledger: Effect.fn("MongoPayoutStore.ledger")(function* (userId, { currency, limit, cursor }) {
      const docs = yield* query(
        call(() =>
          c.ledger
            .find({ userId, currency, seq: { $gt: cursor ?? 0 } })
            .sort({ seq: 1 })
            .limit(Math.max(limit, 0) + 1)
            .toArray()
        )
      )
      const found = yield* all(LedgerEntryDoc)(docs)
      const page = found.slice(0, limit)
      const last = page[page.length - 1]
      return { entries: page, nextCursor: found.length > limit && last !== undefined ? last.seq : null }
    })
  }
}
