import { Clock, Effect } from "effect"
import { emptyAccount, type User, UserExists, UserNotFound } from "../../domain/index.js"
import type { PayoutStoreShape } from "../../ports/PayoutStore.js"
import { AccountDoc, encode } from "./documents.js"
import { call, query, transact } from "./driver.js"
import type { Records } from "./records.js"

export const makeUsers = (r: Records): Pick<PayoutStoreShape, "createUser" | "setUserStatus" | "getUser"> => ({
  createUser: Effect.fn("MongoPayoutStore.createUser")(function* (input) {
    const now = yield* Clock.currentTimeMillis
    const user: User = { ...input, createdAt: now }
    const account = yield* encode(AccountDoc)(emptyAccount(user.userId, user.currency))
    return yield* transact(r.mongo, (session) =>
      Effect.gen(function* () {
        if ((yield* r.user(user.userId, session))._tag === "Some") {
          return yield* Effect.fail(new UserExists({ userId: user.userId }))
        }
        yield* r.insertUser(user, session)
        yield* call(() => r.c.accounts.insertOne({ ...account }, { session }))
        yield* r.audit(
          { userId: user.userId, transactionId: null, action: "USER_CREATED", details: { currency: user.currency } },
          now,
          session
        )
        return user
      })
    ).pipe(Effect.catchTag("DuplicateKey", () => Effect.fail(new UserExists({ userId: user.userId }))))
  }),

  setUserStatus: Effect.fn("MongoPayoutStore.setUserStatus")(function* (userId, status) {
    const now = yield* Clock.currentTimeMillis
    return yield* transact(r.mongo, (session) =>
      Effect.gen(function* () {
        const found = yield* r.user(userId, session)
        if (found._tag === "None") return yield* Effect.fail(new UserNotFound({ userId }))
        const user = found.value
        if (user.status === status) return user
        yield* call(() => r.c.users.updateOne({ userId, status: user.status }, { $set: { status } }, { session }))
        yield* r.audit(
          { userId, transactionId: null, action: "USER_STATUS_CHANGED", details: { from: user.status, to: status } },
          now,
          session
        )
        return { ...user, status }
      })
    ).pipe(Effect.catchTag("DuplicateKey", Effect.die))
  }),

  getUser: Effect.fn("MongoPayoutStore.getUser")((userId) => query(r.user(userId)))
})
