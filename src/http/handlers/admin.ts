import { HttpApiBuilder } from "@effect/platform"
import { Effect, Option } from "effect"
import { SYSTEM_ACTOR, UserExists, UserNotFound } from "../../domain/index.js"
import type { LimitPatch } from "../../domain/limits.js"
import { toDecimalNumber } from "../../domain/money.js"
import { PayoutStore } from "../../ports/PayoutStore.js"
import { Accounts } from "../../programs/Accounts.js"
import { PayoutChanges } from "../../programs/PayoutChanges.js"
import { CurrentAdmin } from "../api/auth.js"
import { CreateUserBody, ReturnBody, UpdateUserBody } from "../api/bodies.js"
import { SwiftPayApi } from "../api/SwiftPayApi.js"
import { decodeCursor, decodeUserCursor, encodeUserCursor, optionalCursor } from "../cursor.js"
import { adminUserJson, differenceJson, payoutPageJson, transactionJson, userJson } from "../json.js"
import { idempotencyKey, readBody, readJsonBody } from "../request.js"
import { withResponseHeaders } from "../respond.js"

export const AdminLive = HttpApiBuilder.group(SwiftPayApi, "admin", (handlers) =>
  Effect.gen(function* () {
    const store = yield* PayoutStore
    const accounts = yield* Accounts
    const changes = yield* PayoutChanges

    return handlers
      .handleRaw(
        "createUser",
        Effect.fn("http.admin.createUser")(function* () {
          const body = yield* readBody(CreateUserBody, "user")
          // the service's own name in audit entries (`by`): taken, so no user can pass for it
          if (body.userId === SYSTEM_ACTOR) return yield* new UserExists({ userId: body.userId })
          const user = yield* store.createUser({
            userId: body.userId,
            name: body.name ?? body.userId,
            email: body.email ?? null,
            currency: body.currency ?? "USD",
            status: "active"
          })
          yield* withResponseHeaders({ location: `/api/payout/user/${user.userId}/balance` })
          return { success: true as const, user: userJson(user) }
        })
      )
      .handleRaw(
        "updateUser",
        Effect.fn("http.admin.updateUser")(function* ({ path }) {
          const body = yield* readBody(UpdateUserBody, "user change")
          // two audited changes, each atomic: the status first, then the limits
          const byStatus = body.status === undefined ? undefined : yield* store.setUserStatus(path.userId, body.status)
          const user =
            body.limits === undefined ? byStatus : yield* store.setUserLimits(path.userId, body.limits as LimitPatch)
          if (user === undefined) return yield* Effect.dieMessage("UpdateUserBody lets no empty change through")
          return { success: true as const, user: userJson(user) }
        })
      )
      .handleRaw(
        "credit",
        Effect.fn("http.admin.credit")(function* ({ path, headers }) {
          const key = yield* idempotencyKey(headers["idempotency-key"])
          const body = yield* readJsonBody
          const credited = yield* accounts.credit(yield* CurrentAdmin, path.userId, body, key)
          if (credited.replayed) yield* withResponseHeaders({ "idempotent-replayed": "true" })
          return {
            success: true as const,
            userId: credited.userId,
            currency: credited.currency,
            available: toDecimalNumber(credited.available)
          }
        })
      )
      .handleRaw(
        "recordReturn",
        Effect.fn("http.admin.recordReturn")(function* ({ path }) {
          const body = yield* readBody(ReturnBody, "return")
          const finish = yield* changes.recordReturn(yield* CurrentAdmin, path.transactionId, body.reason)
          if (!finish.moved) yield* withResponseHeaders({ "idempotent-replayed": "true" })
          return { success: true as const, transaction: transactionJson(finish.transaction) }
        })
      )
      .handle(
        "listUsers",
        Effect.fn("http.admin.listUsers")(function* ({ urlParams }) {
          const page = yield* store.users({
            limit: urlParams.limit ?? 50,
            status: urlParams.status,
            currency: urlParams.currency,
            cursor: yield* optionalCursor(urlParams.cursor, decodeUserCursor)
          })
          return {
            success: true as const,
            count: page.users.length,
            users: page.users.map(({ user, accounts }) => adminUserJson(user, accounts)),
            nextCursor: page.nextCursor === null ? null : encodeUserCursor(page.nextCursor)
          }
        })
      )
      .handle(
        "getUser",
        Effect.fn("http.admin.getUser")(function* ({ path }) {
          const user = yield* store.getUser(path.userId)
          if (Option.isNone(user)) return yield* new UserNotFound({ userId: path.userId })
          const accounts = yield* store.accounts(path.userId)
          return { success: true as const, user: adminUserJson(user.value, accounts) }
        })
      )
      .handle(
        "listPayouts",
        Effect.fn("http.admin.listPayouts")(function* ({ urlParams }) {
          const page = yield* store.payouts({
            limit: urlParams.limit ?? 50,
            status: urlParams.status,
            userId: urlParams.userId,
            createdFrom: urlParams.createdAfter,
            createdBefore: urlParams.createdBefore,
            cursor: yield* optionalCursor(urlParams.cursor, decodeCursor)
          })
          return payoutPageJson(page)
        })
      )
      .handle(
        "reconcile",
        Effect.fn("http.admin.reconcile")(function* () {
          const report = yield* store.reconcile
          return {
            success: true as const,
            ok: report.ok,
            accounts: report.accounts,
            differences: report.differences.map(differenceJson)
          }
        })
      )
  })
)
