import { randomUUID } from "node:crypto"
import { Clock, Context, Effect, Layer, Option } from "effect"
import {
  type Account,
  type AttemptRef,
  type AuditAction,
  type AuditEntry,
  BatchRejected,
  batchRecord,
  type ChangeDecision,
  type Currency,
  cancelDecision,
  creditResult,
  emptyAccount,
  IdempotencyKeyInUse,
  isOpen,
  type Minor,
  makePosting,
  minor,
  type NewPayout,
  open as openPayout,
  type PayoutBatch,
  type PayoutChange,
  type Posting,
  type PostingKind,
  type Processing,
  payoutResult,
  planBatch,
  reconcile,
  releaseChange,
  reserveIssue,
  returnDecision,
  settleChange,
  type Transaction,
  TransactionNotFound,
  type User,
  UserExists,
  type UserId,
  UserNotActive,
  UserNotFound
} from "../../domain/index.js"
import * as Txn from "../../domain/transaction.js"
import { EventLog, type EventLogShape } from "../EventLog.js"
import {
  type BatchFound,
  type BatchReserved,
  type Finish,
  type HistoryCursor,
  PayoutStore,
  type PayoutStoreShape,
  type Reserved
} from "../PayoutStore.js"
import { makeEventRecords } from "./eventLog.js"
import { makeIdempotencyRecords } from "./idempotency.js"

const accountKey = (userId: string, currency: string) => `${userId}\u0000${currency}`

export const newestFirst = (a: HistoryCursor, b: HistoryCursor): number =>
  b.createdAt - a.createdAt || (a.transactionId < b.transactionId ? 1 : a.transactionId > b.transactionId ? -1 : 0)

/** Money movements by posting kind: how each bucket of the account changes. */
const apply = (a: Account, kind: PostingKind, amount: Minor): Account => {
  switch (kind) {
    case "FUND":
      return { ...a, available: minor(a.available + amount), funded: minor(a.funded + amount) }
    case "RESERVE":
      return { ...a, available: minor(a.available - amount), held: minor(a.held + amount) }
    case "SETTLE":
      return { ...a, held: minor(a.held - amount), paidOut: minor(a.paidOut + amount) }
    case "RELEASE":
      return { ...a, held: minor(a.held - amount), available: minor(a.available + amount) }
    case "RETURN":
      return { ...a, paidOut: minor(a.paidOut - amount), available: minor(a.available + amount) }
  }
}

/**
 * The in-memory PayoutStore. Each mutation runs as one synchronous block, so no
 * other fiber can observe or interleave a half-done step: it checks every
 * condition first and writes only when all hold.
 */
export const makeWithLog = (): { readonly store: PayoutStoreShape; readonly log: EventLogShape } => {
  const users = new Map<string, User>()
  const accounts = new Map<string, Account>()
  const transactions = new Map<string, Transaction>()
  const ledger: Array<Posting> = []
  const auditLog: Array<AuditEntry> = []
  const batches = new Map<string, PayoutBatch>()
  const idempotency = makeIdempotencyRecords()
  const events = makeEventRecords()

  const atomically = <X extends Effect.Effect<unknown, unknown>>(
    f: (now: number) => X
  ): Effect.Effect<Effect.Effect.Success<X>, Effect.Effect.Error<X>> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.suspend(() => f(now))) as never

  const account = (userId: UserId, currency: Currency) =>
    accounts.get(accountKey(userId, currency)) ?? emptyAccount(userId, currency)

  /** Balance change, its posting and its audit entry: always together. */
  const moveMoney = (
    userId: UserId,
    currency: Currency,
    kind: PostingKind,
    amount: Minor,
    transactionId: Transaction["transactionId"] | null,
    postingId: string,
    now: number
  ): Account => {
    const after = apply(account(userId, currency), kind, amount)
    accounts.set(accountKey(userId, currency), after)
    ledger.push(makePosting({ kind, userId, currency, transactionId, amount, at: now, postingId }))
    return after
  }

  const audit = (
    userId: UserId,
    transactionId: Transaction["transactionId"] | null,
    action: AuditAction,
    details: AuditEntry["details"],
    at: number
  ) => auditLog.push({ userId, transactionId, action, at, details })

  const findTransaction = (transactionId: Transaction["transactionId"]) => {
    const t = transactions.get(transactionId)
    return t ? Effect.succeed(t) : Effect.fail(new TransactionNotFound({ transactionId }))
  }

  /** A change's new state, its money move, audit entry and event: always together. */
  const write = (t: Transaction, change: PayoutChange, now: number): Finish => {
    const { next, kind, postingSuffix, action, details } = change
    transactions.set(t.transactionId, next)
    const posting = `${t.transactionId}:${postingSuffix}`
    const after = moveMoney(t.userId, t.currency, kind, t.amount, t.transactionId, posting, now)
    audit(t.userId, t.transactionId, action, details, now)
    return { moved: true, transaction: next, events: [events.append(next, after.available, now)] }
  }

  /** processing → completed/failed with its money move and audit entry, only while `ref` holds the payout. */
  const finish = (ref: AttemptRef, step: (t: Processing, now: number) => PayoutChange) =>
    atomically((now) =>
      Effect.map(
        findTransaction(ref.transactionId),
        (t): Finish =>
          Txn.isHeldBy(t, ref) ? write(t, step(t, now), now) : { moved: false, transaction: t, events: [] }
      )
    )

  /** A change a client asked for, decided by the domain. */
  const change = <E>(
    transactionId: Transaction["transactionId"],
    decide: (t: Transaction, now: number) => ChangeDecision<E>
  ) =>
    atomically((now) =>
      Effect.flatMap(findTransaction(transactionId), (t): Effect.Effect<Finish, E> => {
        const decision = decide(t, now)
        if (decision._tag === "Done") return Effect.succeed({ moved: false, transaction: t, events: [] })
        if (decision._tag === "Refused") return Effect.fail(decision.error)
        return Effect.succeed(write(t, decision.change, now))
      })
    )

  /** One payout's hold: the transaction, its RESERVE posting, audit entry and event. Checked by the caller. */
  const hold = (payout: NewPayout, details: AuditEntry["details"], now: number): Reserved => {
    const t = openPayout(payout, now)
    transactions.set(t.transactionId, t)
    const after = moveMoney(
      t.userId,
      t.currency,
      "RESERVE",
      t.amount,
      t.transactionId,
      `${t.transactionId}:RESERVE`,
      now
    )
    audit(t.userId, t.transactionId, "PAYOUT_INITIATED", { amount: t.amount, currency: t.currency, ...details }, now)
    return { transaction: t, events: [events.append(t, after.available, now)] }
  }

  const batchFound = (batch: PayoutBatch): BatchFound => ({
    batch,
    transactions: batch.items.flatMap((i) => {
      const t = i._tag === "accepted" ? transactions.get(i.transactionId) : undefined
      return t === undefined ? [] : [t]
    })
  })

  const store: PayoutStoreShape = {
    createUser: (input) =>
      atomically((now) => {
        if (users.has(input.userId)) return Effect.fail(new UserExists({ userId: input.userId }))
        const user: User = { ...input, createdAt: now }
        users.set(user.userId, user)
        accounts.set(accountKey(user.userId, user.currency), emptyAccount(user.userId, user.currency))
        audit(user.userId, null, "USER_CREATED", { currency: user.currency }, now)
        return Effect.succeed(user)
      }),

    setUserStatus: (userId, status) =>
      atomically((now) => {
        const user = users.get(userId)
        if (!user) return Effect.fail(new UserNotFound({ userId }))
        if (user.status === status) return Effect.succeed(user)
        const next = { ...user, status }
        users.set(userId, next)
        audit(userId, null, "USER_STATUS_CHANGED", { from: user.status, to: status }, now)
        return Effect.succeed(next)
      }),

    getUser: (userId) => Effect.sync(() => Option.fromNullable(users.get(userId))),

    beginIdempotent: (claim, leaseMs) => atomically((now) => idempotency.begin(claim, leaseMs, now)),

    abandonIdempotent: (ticket) => Effect.sync(() => idempotency.abandon(ticket)),

    reserve: (payout, ticket) =>
      atomically((now) => {
        const existing = transactions.get(payout.transactionId)
        if (existing) return Effect.succeed<Reserved>({ transaction: existing, events: [] })
        const user = users.get(payout.userId)
        if (!user) return Effect.fail(new UserNotFound({ userId: payout.userId }))
        if (user.status !== "active")
          return Effect.fail(new UserNotActive({ userId: user.userId, status: user.status }))
        if (!idempotency.holds(ticket)) return Effect.fail(new IdempotencyKeyInUse({ key: ticket?.key ?? "" }))
        const issue = reserveIssue(user, account(payout.userId, payout.currency).available, payout)
        if (issue !== null) return Effect.fail(issue)
        const reserved = hold(payout, {}, now)
        idempotency.complete(ticket, payoutResult(reserved.transaction), now)
        return Effect.succeed(reserved)
      }),

    reserveBatch: (batch, ticket) =>
      atomically((now) => {
        const found = batches.get(batch.batchId)
        if (found) return Effect.succeed<BatchReserved>({ ...batchFound(found), events: [] })
        if (!idempotency.holds(ticket)) return Effect.fail(new IdempotencyKeyInUse({ key: ticket?.key ?? "" }))
        const plan = planBatch(
          batch,
          (userId) => users.get(userId),
          (userId, currency) => account(userId, currency).available
        )
        // every check before the first write: a refused atomic batch writes nothing
        if (plan.accepted.length === 0 || (batch.atomic && plan.rejected.length > 0))
          return Effect.fail(new BatchRejected({ items: plan.rejected }))
        const held = plan.accepted.map(({ payout }) => hold(payout, { batchId: batch.batchId }, now))
        const record = batchRecord(batch, plan.accepted, plan.rejected, now)
        batches.set(record.batchId, record)
        idempotency.complete(ticket, { _tag: "Batch", batchId: record.batchId }, now)
        return Effect.succeed<BatchReserved>({
          batch: record,
          transactions: held.map((r) => r.transaction),
          events: held.flatMap((r) => r.events)
        })
      }),

    getBatch: (batchId) => Effect.sync(() => Option.map(Option.fromNullable(batches.get(batchId)), batchFound)),

    credit: (input, ticket) =>
      atomically((now) => {
        const user = users.get(input.userId)
        if (!user) return Effect.fail(new UserNotFound({ userId: input.userId }))
        if (user.status === "closed")
          return Effect.fail(new UserNotActive({ userId: user.userId, status: user.status }))
        if (!idempotency.holds(ticket)) return Effect.fail(new IdempotencyKeyInUse({ key: ticket?.key ?? "" }))
        const after = moveMoney(input.userId, input.currency, "FUND", input.amount, null, randomUUID(), now)
        audit(input.userId, null, "ACCOUNT_CREDITED", { amount: input.amount, currency: input.currency }, now)
        idempotency.complete(ticket, creditResult(after), now)
        return Effect.succeed(after)
      }),

    startProcessing: (transactionId, expectedAttempts, lease) =>
      atomically((now) =>
        Effect.map(findTransaction(transactionId), (t) => {
          const decision = Txn.claimDecision(t, expectedAttempts, now)
          if (decision._tag === "Busy" && t._tag === "processing") return { _tag: "Busy", transaction: t } as const
          if (decision._tag !== "Claim" || !isOpen(t)) return { _tag: "Stale", transaction: t } as const
          const next = Txn.startProcessing(t, lease, now)
          transactions.set(transactionId, next)
          audit(t.userId, transactionId, "PAYOUT_PROCESSING", { attempt: next.attempts }, now)
          const first = t._tag !== "processing"
          const recorded = first ? [events.append(next, account(t.userId, t.currency).available, now)] : []
          return { _tag: "Claimed", transaction: next, first, events: recorded } as const
        })
      ),

    renewLease: (ref, ms) =>
      atomically((now) =>
        Effect.map(findTransaction(ref.transactionId), (t) => {
          if (!Txn.mayRenew(t, ref)) return false
          transactions.set(t.transactionId, Txn.renewLease(t, ms, now))
          return true
        })
      ),

    deferAttempt: (ref, retryAt) =>
      atomically((now) =>
        Effect.map(findTransaction(ref.transactionId), (t): Transaction => {
          if (!Txn.isHeldBy(t, ref)) return t
          const next = Txn.deferAttempt(t, retryAt, now)
          transactions.set(t.transactionId, next)
          return next
        })
      ),

    settle: (ref) => finish(ref, (t, now) => settleChange(t, now)),

    release: (ref, reason) => finish(ref, (t, now) => releaseChange(t, reason, now)),

    cancel: (transactionId, by) => change(transactionId, (t, now) => cancelDecision(t, by, now)),

    recordReturn: (transactionId, reason, by) => change(transactionId, (t, now) => returnDecision(t, reason, by, now)),

    getTransaction: (transactionId) => Effect.sync(() => Option.fromNullable(transactions.get(transactionId))),

    history: (userId, query) =>
      Effect.sync(() => {
        const { cursor, status, limit } = query
        const mine = [...transactions.values()]
          .filter((t) => t.userId === userId && (status === undefined || t._tag === status))
          .filter((t) => cursor === undefined || newestFirst(cursor, t) < 0)
          .sort(newestFirst)
        const page = mine.slice(0, limit)
        const last = page[page.length - 1]
        return {
          transactions: page,
          nextCursor:
            mine.length > limit && last ? { createdAt: last.createdAt, transactionId: last.transactionId } : null
        }
      }),

    accounts: (userId) => Effect.sync(() => [...accounts.values()].filter((a) => a.userId === userId)),

    audit: (transactionId) => Effect.sync(() => auditLog.filter((e) => e.transactionId === transactionId)),

    claimStuck: (idleMs, limit) =>
      atomically((now) =>
        Effect.sync(() => {
          const due = [...transactions.values()]
            .filter((t) => Txn.isRecoverable(t, now, idleMs))
            .sort((a, b) => a.queuedAt - b.queuedAt)
            .slice(0, limit)
          return due.map((t) => {
            const queued = Txn.markQueued(t, now)
            transactions.set(t.transactionId, queued)
            return queued
          })
        })
      ),

    markUnqueued: (transactionId) =>
      Effect.sync(() => {
        const t = transactions.get(transactionId)
        // a scheduled payout is never published by intake: its time is its queue mark
        if (t !== undefined && isOpen(t) && t._tag !== "scheduled")
          transactions.set(transactionId, Txn.markQueued(t, 0))
      }),

    reconcile: Effect.sync(() => reconcile(accounts.values(), ledger, [...transactions.values()].filter(isOpen))),

    ping: Effect.void
  }
  return { store, log: events.log }
}

export const make = (): PayoutStoreShape => makeWithLog().store

/** The store and its event log, on one state. */
export const layer: Layer.Layer<PayoutStore | EventLog> = Layer.effectContext(
  Effect.sync(() => {
    const { store, log } = makeWithLog()
    return Context.make(PayoutStore, store).pipe(Context.add(EventLog, log))
  })
)
