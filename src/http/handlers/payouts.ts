import { HttpApiBuilder, HttpApp, HttpServerResponse } from "@effect/platform"
import { Config, Effect, Layer, LogLevel, Option } from "effect"
import {
  type Actor,
  type Authorized,
  actFor,
  BatchNotFound,
  type PayoutBatch,
  rateLimitKey,
  readOwned,
  type Transaction,
  type TransactionId,
  TransactionNotFound,
  type UserId,
  UserNotFound
} from "../../domain/index.js"
import { toDecimalNumber } from "../../domain/money.js"
import { PayoutStore } from "../../ports/PayoutStore.js"
import { RateLimiter } from "../../ports/RateLimiter.js"
import { PayoutChanges } from "../../programs/PayoutChanges.js"
import { type Accepted, PayoutIntake } from "../../programs/PayoutIntake.js"
import { Settings } from "../../settings.js"
import { CurrentActor, PayoutRateLimit } from "../api/auth.js"
import { render, UserRateLimitExceeded } from "../api/errors.js"
import { SwiftPayApi } from "../api/SwiftPayApi.js"
import { decodeCursor, decodeLedgerCursor, encodeLedgerCursor, optionalCursor } from "../cursor.js"
import { auditJson, balanceJson, ledgerEntryJson, payoutPageJson, transactionJson } from "../json.js"
import { idempotencyKey, readJsonBody } from "../request.js"
import { rateLimitHeaders, withResponseHeaders } from "../respond.js"

/** A batch as the API shows it: each item with its payout's current status, or its refusal. */
const batchJson = (batch: PayoutBatch, transactions: ReadonlyArray<Transaction>) => {
  const byId = new Map(transactions.map((t) => [t.transactionId, t]))
  return {
    success: true as const,
    batchId: batch.batchId,
    createdBy: batch.createdBy,
    atomic: batch.atomic,
    createdAt: new Date(batch.createdAt).toISOString(),
    itemCount: batch.items.length,
    items: batch.items.map((item) => {
      if (item._tag === "rejected") {
        const { index, userId, code, message } = item
        return { index, userId, status: "rejected" as const, code, message }
      }
      const t = byId.get(item.transactionId)
      return {
        index: item.index,
        userId: item.userId,
        transactionId: item.transactionId,
        status: t?._tag ?? ("initiated" as const),
        ...(t === undefined ? {} : { amount: toDecimalNumber(t.amount), currency: t.currency })
      }
    })
  }
}

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

const logRefused = (actor: Actor, e: unknown) =>
  Option.match(render(e), {
    onNone: () => Effect.void,
    onSome: ({ status, code }) =>
      Effect.logWithLevel(status >= 500 ? LogLevel.Warning : LogLevel.Info, "payout refused").pipe(
        Effect.annotateLogs({ code, status, actor: actor.userId, role: actor.role })
      )
  })

const readPayoutPolicy = readOwned<Transaction>()

/** Successful answers carry the user's RateLimit-* (an error keeps the per-IP ones, a 429 its own). */
const onSuccess = (headers: Readonly<Record<string, string>>) =>
  HttpApp.appendPreResponseHandler((_request, response) =>
    Effect.succeed(response.status < 300 ? HttpServerResponse.setHeaders(response, headers) : response)
  )

/** The per-user payout limit, answered before the request is read (docs/api.md's order). */
export const PayoutRateLimitLive = Layer.effect(
  PayoutRateLimit,
  Effect.gen(function* () {
    const limiter = yield* RateLimiter
    const { limit, windowMs } = yield* Config.all({
      limit: Settings.userRateLimitMaxRequests,
      windowMs: Settings.rateLimitWindowMs
    })
    return Effect.gen(function* () {
      // Endpoint middleware runs inside Authentication (see PayoutsGroup), which provides the actor.
      const actor = yield* Effect.flatMap(Effect.serviceOption(CurrentActor), (found) =>
        Option.match(found, {
          onNone: () => Effect.dieMessage("PayoutRateLimit runs only after Authentication"),
          onSome: Effect.succeed
        })
      )
      const decision = yield* limiter
        .hit(rateLimitKey(actor), limit, windowMs)
        .pipe(Effect.tapError((e) => logRefused(actor, e)))
      if (!decision.allowed) {
        const refused = new UserRateLimitExceeded({ limit: decision.limit, resetMs: decision.resetMs })
        return yield* Effect.zipRight(logRefused(actor, refused), refused)
      }
      yield* onSuccess(rateLimitHeaders(decision))
    })
  })
)

export const PayoutsLive = HttpApiBuilder.group(SwiftPayApi, "payouts", (handlers) =>
  Effect.gen(function* () {
    const intake = yield* PayoutIntake
    const cancellation = yield* PayoutChanges
    const store = yield* PayoutStore

    /** Someone else's payout is answered exactly like a missing one. */
    const visibleTransaction = Effect.fnUntraced(function* (actor: Actor, id: TransactionId) {
      const found = yield* store.getTransaction(id)
      if (Option.isNone(found)) return yield* new TransactionNotFound({ transactionId: id })
      return yield* Effect.mapError(
        readPayoutPolicy(actor, found.value),
        () => new TransactionNotFound({ transactionId: id })
      )
    })

    const userOf = Effect.fnUntraced(function* (account: Authorized<UserId>) {
      const user = yield* store.getUser(account.target)
      if (Option.isNone(user)) return yield* new UserNotFound({ userId: account.target })
      return user.value
    })

    return handlers
      .handleRaw(
        "create",
        // The body is read here, not decoded by the framework: its answers to bad bodies (Content-Type,
        // JSON, the domain parser's messages and amount rules, in the program) are docs/api.md's.
        Effect.fnUntraced(function* ({ headers }) {
          const actor = yield* CurrentActor
          const accepted = yield* Effect.gen(function* () {
            const body = yield* readJsonBody
            const key = yield* idempotencyKey(headers["idempotency-key"])
            return yield* intake.submit({ actor, body, idempotencyKey: key })
          }).pipe(Effect.tapBoth({ onFailure: (e) => logRefused(actor, e), onSuccess: logAccepted }))
          yield* withResponseHeaders({
            location: `/api/payout/${accepted.transactionId}`,
            ...(accepted.replayed ? { "idempotent-replayed": "true" } : {})
          })
          return {
            success: true as const,
            transactionId: accepted.transactionId,
            status: accepted.status,
            amount: toDecimalNumber(accepted.amount),
            currency: accepted.currency,
            ...(accepted.scheduledFor === null ? {} : { scheduledFor: new Date(accepted.scheduledFor).toISOString() }),
            message:
              accepted.status === "scheduled"
                ? "Payout scheduled: the amount is held until then"
                : "Payout request initiated successfully"
          }
        })
      )
      .handleRaw(
        "createBatch",
        Effect.fnUntraced(function* ({ headers }) {
          const actor = yield* CurrentActor
          const accepted = yield* Effect.gen(function* () {
            const body = yield* readJsonBody
            const key = yield* idempotencyKey(headers["idempotency-key"])
            return yield* intake.submitBatch({ actor, body, idempotencyKey: key })
          }).pipe(Effect.tapError((e) => logRefused(actor, e)))
          yield* withResponseHeaders({
            location: `/api/payouts/batch/${accepted.batch.batchId}`,
            ...(accepted.replayed ? { "idempotent-replayed": "true" } : {})
          })
          return batchJson(accepted.batch, accepted.transactions)
        })
      )
      .handle(
        "getBatch",
        Effect.fnUntraced(function* ({ path }) {
          const actor = yield* CurrentActor
          const found = yield* store.getBatch(path.batchId)
          // its creator or an admin; anyone else is answered as if it did not exist
          if (Option.isNone(found) || (actor.role !== "admin" && found.value.batch.createdBy !== actor.userId))
            return yield* new BatchNotFound({ batchId: path.batchId })
          return batchJson(found.value.batch, found.value.transactions)
        })
      )
      .handle(
        "get",
        Effect.fnUntraced(function* ({ path }) {
          const { target } = yield* visibleTransaction(yield* CurrentActor, path.transactionId)
          return { success: true as const, transaction: transactionJson(target) }
        })
      )
      .handle(
        "audit",
        Effect.fnUntraced(function* ({ path }) {
          const { target } = yield* visibleTransaction(yield* CurrentActor, path.transactionId)
          const entries = yield* store.audit(target.transactionId)
          return { success: true as const, transactionId: path.transactionId, entries: entries.map(auditJson) }
        })
      )
      .handle(
        "cancel",
        Effect.fnUntraced(function* ({ path, headers }) {
          // a repeat without a key finds it canceled; a key also refuses a second payout (422)
          const key = yield* idempotencyKey(headers["idempotency-key"])
          const finish = yield* cancellation.cancel(yield* CurrentActor, path.transactionId, key)
          if (!finish.moved) yield* withResponseHeaders({ "idempotent-replayed": "true" })
          return { success: true as const, transaction: transactionJson(finish.transaction) }
        })
      )
      .handle(
        "balance",
        Effect.fnUntraced(function* ({ path, urlParams }) {
          const user = yield* userOf(yield* actFor(yield* CurrentActor, path.userId))
          const accounts = yield* store.accounts(user.userId)
          return balanceJson(user, accounts, urlParams.currency)
        })
      )
      .handle(
        "history",
        Effect.fnUntraced(function* ({ path, urlParams }) {
          const user = yield* userOf(yield* actFor(yield* CurrentActor, path.userId))
          // `cursor=` (empty, as docs/api.md allows for the first request) is the first page
          const page = yield* store.history(user.userId, {
            limit: urlParams.limit ?? 50,
            status: urlParams.status,
            cursor: yield* optionalCursor(urlParams.cursor, decodeCursor)
          })
          return payoutPageJson(page)
        })
      )
      .handle(
        "ledger",
        Effect.fnUntraced(function* ({ path, urlParams }) {
          const user = yield* userOf(yield* actFor(yield* CurrentActor, path.userId))
          const currency = urlParams.currency ?? user.currency
          const page = yield* store.ledger(user.userId, {
            currency,
            limit: urlParams.limit ?? 50,
            cursor: yield* optionalCursor(urlParams.cursor, decodeLedgerCursor)
          })
          return {
            success: true as const,
            userId: user.userId,
            currency,
            count: page.entries.length,
            entries: page.entries.map(ledgerEntryJson),
            nextCursor: page.nextCursor === null ? null : encodeLedgerCursor(page.nextCursor)
          }
        })
      )
  })
)
