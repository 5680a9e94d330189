import { HttpApiBuilder } from "@effect/platform"
import { Effect, Either, LogLevel, Option } from "effect"
import type { TransactionId, UserId } from "../../domain/index.js"
import { toDecimalNumber } from "../../domain/money.js"
import { PayoutStore } from "../../ports/PayoutStore.js"
import { type Accepted, type Actor, mayActFor, PayoutIntake } from "../../programs/PayoutIntake.js"
import { CurrentActor } from "../api/auth.js"
import { ApiError } from "../api/errors.js"
import { SwiftPayApi } from "../api/SwiftPayApi.js"
import { decodeCursor, encodeCursor } from "../cursor.js"
import { orApiError, rateLimitHeaders } from "../errors.js"
import { auditJson, balanceJson, transactionJson } from "../json.js"
import { idempotencyKey, readJsonBody } from "../request.js"
import { withResponseHeaders } from "../respond.js"

/** The intake's outcome, for operators: every payout accepted, and every refusal with its code. */
const logAccepted = (a: Accepted) =>
  Effect.logInfo(a.replayed ? "payout replayed" : "payout accepted").pipe(
    Effect.annotateLogs({
      transactionId: a.transactionId,
      userId: a.userId,
      amount: toDecimalNumber(a.amount),
      currency: a.currency
    })
  )

const logRefused = (actor: Actor, e: ApiError) =>
  Effect.logWithLevel(e.status >= 500 ? LogLevel.Warning : LogLevel.Info, "payout refused").pipe(
    Effect.annotateLogs({ code: e.code, status: e.status, actor: actor.userId, role: actor.role })
  )

const notFound = new ApiError({ status: 404, code: "TRANSACTION_NOT_FOUND", message: "Transaction not found" })
const forbidden = new ApiError({ status: 403, code: "FORBIDDEN", message: "You may not act on this resource" })

export const PayoutsLive = HttpApiBuilder.group(SwiftPayApi, "payouts", (handlers) =>
  Effect.gen(function* () {
    const intake = yield* PayoutIntake
    const store = yield* PayoutStore

    /** Someone else's payout is answered exactly like a missing one. */
    const visibleTransaction = Effect.fn("visibleTransaction")(function* (actor: Actor, id: TransactionId) {
      const found = yield* orApiError(store.getTransaction(id))
      if (Option.isNone(found) || !mayActFor(actor, found.value.userId)) return yield* notFound
      return found.value
    })

    const ownUser = Effect.fn("ownUser")(function* (actor: Actor, userId: UserId) {
      if (!mayActFor(actor, userId)) return yield* forbidden
      const user = yield* orApiError(store.getUser(userId))
      if (Option.isNone(user)) {
        return yield* new ApiError({ status: 404, code: "USER_NOT_FOUND", message: "User not found" })
      }
      return user.value
    })

    return handlers
      .handleRaw(
        "create",
        Effect.fn("http.payout.create")(function* ({ headers }) {
          const actor = yield* CurrentActor
          // Body and key problems are answered after the per-user rate limit (docs/api.md's order):
          // the program gets no body, fails validation after its limit check, and the real reason replaces it.
          const body = yield* Effect.either(readJsonBody)
          const key = idempotencyKey(headers["idempotency-key"])
          const early = Either.isLeft(body)
            ? Option.some(body.left)
            : Either.isLeft(key)
              ? Option.some(key.left)
              : Option.none()
          const accepted = yield* intake
            .submit({
              actor,
              body: Option.isSome(early) ? undefined : Either.getOrUndefined(body),
              idempotencyKey: Either.getOrElse(key, () => null)
            })
            .pipe(
              orApiError,
              Effect.mapError((e) => (e.code === "VALIDATION_ERROR" ? Option.getOrElse(early, () => e) : e)),
              Effect.tapBoth({ onFailure: (e) => logRefused(actor, e), onSuccess: logAccepted })
            )
          yield* withResponseHeaders({
            ...rateLimitHeaders(accepted.rateLimit),
            ...(accepted.replayed ? { "idempotent-replayed": "true" } : {})
          })
          return {
            success: true as const,
            transactionId: accepted.transactionId,
            status: "initiated" as const,
            amount: toDecimalNumber(accepted.amount),
            currency: accepted.currency,
            message: "Payout request initiated successfully"
          }
        })
      )
      .handle(
        "get",
        Effect.fn("http.payout.get")(function* ({ path }) {
          const transaction = yield* visibleTransaction(yield* CurrentActor, path.transactionId)
          return { success: true as const, transaction: transactionJson(transaction) }
        })
      )
      .handle(
        "audit",
        Effect.fn("http.payout.audit")(function* ({ path }) {
          yield* visibleTransaction(yield* CurrentActor, path.transactionId)
          const entries = yield* orApiError(store.audit(path.transactionId))
          return { success: true as const, transactionId: path.transactionId, entries: entries.map(auditJson) }
        })
      )
      .handle(
        "balance",
        Effect.fn("http.payout.balance")(function* ({ path, urlParams }) {
          const user = yield* ownUser(yield* CurrentActor, path.userId)
          const accounts = yield* orApiError(store.accounts(user.userId))
          return balanceJson(user, accounts, urlParams.currency)
        })
      )
      .handle(
        "history",
        Effect.fn("http.payout.history")(function* ({ path, urlParams }) {
          const user = yield* ownUser(yield* CurrentActor, path.userId)
          // `cursor=` (empty, as docs/api.md allows for the first request) is the first page
          const cursor =
            urlParams.cursor === undefined || urlParams.cursor === ""
              ? undefined
              : yield* decodeCursor(urlParams.cursor)
          const page = yield* orApiError(
            store.history(user.userId, { limit: urlParams.limit ?? 50, status: urlParams.status, cursor })
          )
          return {
            success: true as const,
            count: page.transactions.length,
            transactions: page.transactions.map(transactionJson),
            nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor)
          }
        })
      )
  })
)
