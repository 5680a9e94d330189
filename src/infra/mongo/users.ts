import { Clock, Effect } from "effect"
import { applyLimitPatch, emptyAccount, LIMIT_FIELDS, type User, UserExists, UserNotFound } from "../../domain/index.js"
import type { PayoutStoreShape } from "../../ports/PayoutStore.js"
import { AccountDoc, encode } from "./documents.js"
import { call, query, transact } from "./driver.js"
import type { Records } from "./records.js"

export const makeUsers = (
  r: Records
): Pick<PayoutStoreShape, "createUser" | "setUserStatus" | "setUserLimits" | "getUser"> => ({
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

  setUserLimits: Effect.fn("MongoPayoutStore.setUserLimits")(function* (userId, patch) {
    const now = yield* Clock.currentTimeMillis
    // field by field, so that two admins changing different limits both land
    const set: Record<string, number> = {}
    const unset: Record<string, ""> = {}
    for (const [currency, change] of Object.entries(patch)) {
      for (const field of LIMIT_FIELDS) {
        const value = change?.[field]
        if (value === null) unset[`limits.${currency}.${field}`] = ""
        else if (value !== undefined) set[`limits.${currency}.${field}`] = value
      }
    }
    return yield* transact(r.mongo, (session) =>
      Effect.gen(function* () {
        const found = yield* r.user(userId, session)
        if (found._tag === "None") return yield* Effect.fail(new UserNotFound({ userId }))
        const limits = applyLimitPatch(found.value.limits, patch)
        // a currency left with no override goes as a whole, as the domain drops it
        for (const currency of Object.keys(patch)) {
          if (limits[currency as keyof typeof limits] !== undefined) continue
          for (const key of Object.keys(unset)) if (key.startsWith(`limits.${currency}.`)) delete unset[key]
          unset[`limits.${currency}`] = ""
        }
        if (Object.keys(set).length + Object.keys(unset).length > 0) {
          yield* call(() =>
            r.c.users.updateOne(
              { userId },
              {
                ...(Object.keys(set).length > 0 ? { $set: set } : {}),
                ...(Object.keys(unset).length > 0 ? { $unset: unset } : {})
              },
              { session }
            )
          )
        }
        const user = { ...found.value, limits }
        yield* r.audit(
          { userId, transactionId: null, action: "USER_LIMITS_CHANGED", details: { limits: user.limits } },
          now,
          session
        )
        return user
      })
    ).pipe(Effect.catchTag("DuplicateKey", Effect.die))
  }),

  getUser: Effect.fn("MongoPayoutStore.getUser")((userId) => query(r.user(userId)))
})
