import { randomUUID } from "node:crypto"
import { Clock, Context, Effect, Layer, Option } from "effect"
import {
  type Account,
  type AccountState,
  type AttemptRef,
  type AuditAction,
  type AuditEntry,
  applyLimitPatch,
  BatchRejected,
  batchRecord,
  type ChangeDecision,
  type Currency,
  cancelDecision,
  cancelResult,
  charged,
  creditResult,
  type DailyLimit,
  defaultFor,
  effectiveLimit,
  emptyAccount,
  IdempotencyKeyInUse,
  isOpen,
  type LedgerEntry,
  type LimitDefaults,
  ledgerEntry,
  type Minor,
  makePosting,
  minor,
  type NewPayout,
  NO_LIMIT,
  open as openPayout,
  type PayoutBatch,
  type PayoutChange,
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
  UserNotFound,
  usageOn,
  utcDay
} from "../../domain/index.js"
import * as Txn from "../../domain/transaction.js"
import { EventLog, type EventLogShape } from "../EventLog.js"
import {
  type BatchFound,
  type BatchReserved,
  type Finish,
  type HistoryCursor,
  type HistoryPage,
  type IdempotencyTicket,
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
export interface MemoryStoreOptions {
  /** DAILY_PAYOUT_*_LIMIT: the daily limits of users without an override. */
  readonly dailyLimits?: LimitDefaults | undefined
}

export const makeWithLog = (
  options: MemoryStoreOptions = {}
): { readonly store: PayoutStoreShape; readonly log: EventLogShape } => {
  const dailyLimits = options.dailyLimits ?? {}
  const users = new Map<string, User>()
  const accounts = new Map<string, Account>()
  const transactions = new Map<string, Transaction>()
  const ledger: Array<LedgerEntry> = []
  /** Postings so far per account: the next posting's `seq` is this + 1. */
  const postingCounts = new Map<string, number>()
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
    const key = accountKey(userId, currency)
    const after = apply(account(userId, currency), kind, amount)
    const seq = (postingCounts.get(key) ?? 0) + 1
    accounts.set(key, after)
    postingCounts.set(key, seq)
    ledger.push(
      ledgerEntry(makePosting({ kind, userId, currency, transactionId, amount, at: now, postingId }), seq, after)
    )
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
    decide: (t: Transaction, now: number) => ChangeDecision<E>,
    /** A cancel's Idempotency-Key, completed in this block whether it moved or found it done. */
    ticket: IdempotencyTicket | null = null
  ) =>
    atomically((now) =>
      Effect.flatMap(findTransaction(transactionId), (t): Effect.Effect<Finish, E | IdempotencyKeyInUse> => {
        const decision = decide(t, now)
        if (decision._tag === "Refused") return Effect.fail(decision.error)
        if (!idempotency.holds(ticket)) return Effect.fail(new IdempotencyKeyInUse({ key: ticket?.key ?? "" }))
        const finish: Finish =
          decision._tag === "Done" ? { moved: false, transaction: t, events: [] } : write(t, decision.change, now)
        idempotency.complete(ticket, cancelResult(finish.transaction), now)
        return Effect.succeed(finish)
      })
    )

  const accountsOf = (userId: UserId) => [...accounts.values()].filter((a) => a.userId === userId)

  const payouts = (query: Parameters<PayoutStoreShape["payouts"]>[0]): HistoryPage => {
    const { cursor, status, userId, createdFrom, createdBefore, limit } = query
    const found = [...transactions.values()]
      .filter((t) => userId === undefined || t.userId === userId)
      .filter((t) => status === undefined || t._tag === status)
      .filter((t) => createdFrom === undefined || t.createdAt >= createdFrom)
      .filter((t) => createdBefore === undefined || t.createdAt < createdBefore)
      .filter((t) => cursor === undefined || newestFirst(cursor, t) < 0)
      .sort(newestFirst)
    const page = found.slice(0, limit)
    const last = page[page.length - 1]
    return {
      transactions: page,
      nextCursor: found.length > limit && last ? { createdAt: last.createdAt, transactionId: last.transactionId } : null
    }
  }

  /** One payout's hold: the transaction, its RESERVE posting, audit entry and event. Checked by the caller. */
  const hold = (payout: NewPayout, details: AuditEntry["details"], now: number): Reserved => {
    const t = openPayout(payout, now)
    transactions.set(t.transactionId, t)
    // the day's usage charged with the hold (the caller checked the limit)
    const before = account(t.userId, t.currency)
    accounts.set(accountKey(t.userId, t.currency), {
      ...before,
      daily: charged(usageOn(before.daily, utcDay(now)), t.amount)
    })
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

  const limitFor = (user: User | undefined, currency: Currency): DailyLimit =>
    user === undefined ? NO_LIMIT : effectiveLimit(defaultFor(dailyLimits, currency), user.limits?.[currency])

  const stateOf = (userId: UserId, currency: Currency, now: number): AccountState => {
    const a = account(userId, currency)
    return { available: a.available, usage: usageOn(a.daily, utcDay(now)) }
  }

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

    setUserLimits: (userId, patch) =>
      atomically((now) => {
        const user = users.get(userId)
        if (!user) return Effect.fail(new UserNotFound({ userId }))
        const next: User = { ...user, limits: applyLimitPatch(user.limits, patch) }
        users.set(userId, next)
        audit(userId, null, "USER_LIMITS_CHANGED", { limits: next.limits ?? {} }, now)
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
        const issue = reserveIssue(
          user,
          stateOf(payout.userId, payout.currency, now),
          payout,
          limitFor(user, payout.currency)
        )
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
          (userId, currency) => stateOf(userId, currency, now),
          limitFor
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

    cancel: (transactionId, by, ticket = null) => change(transactionId, (t, now) => cancelDecision(t, by, now), ticket),

    recordReturn: (transactionId, reason, by) =>
      // no ticket: no key can be in use
      Effect.catchTag(
        change(transactionId, (t, now) => returnDecision(t, reason, by, now)),
        "IdempotencyKeyInUse",
        Effect.die
      ),

    getTransaction: (transactionId) => Effect.sync(() => Option.fromNullable(transactions.get(transactionId))),

    history: (userId, query) => Effect.sync(() => payouts({ ...query, userId })),

    accounts: (userId) => Effect.sync(() => accountsOf(userId)),

    payouts: (query) => Effect.sync(() => payouts(query)),

    users: ({ limit, status, currency, cursor }) =>
      Effect.sync(() => {
        const found = [...users.values()]
          .filter((u) => cursor === undefined || u.userId > cursor)
          .filter((u) => status === undefined || u.status === status)
          .filter((u) => currency === undefined || accounts.has(accountKey(u.userId, currency)))
          .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0))
        const page = found.slice(0, limit)
        const last = page[page.length - 1]
        return {
          users: page.map((user) => ({ user, accounts: accountsOf(user.userId) })),
          nextCursor: found.length > limit && last ? last.userId : null
        }
      }),

    ledger: (userId, { currency, limit, cursor }) =>
      Effect.sync(() => {
        const found = ledger.filter(
          (p) => p.userId === userId && p.currency === currency && (cursor === undefined || p.seq > cursor)
        )
        const page = found.slice(0, limit)
        const last = page[page.length - 1]
        return { entries: page, nextCursor: found.length > limit && last ? last.seq : null }
      }),

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

export const make = (options: MemoryStoreOptions = {}): PayoutStoreShape => makeWithLog(options).store

/** The store and its event log, on one state, with these daily limit defaults (the runtime reads the settings). */
export const layerWith = (options: MemoryStoreOptions): Layer.Layer<PayoutStore | EventLog> =>
  Layer.effectContext(
    Effect.sync(() => {
      const { store, log } = makeWithLog(options)
      return Context.make(PayoutStore, store).pipe(Context.add(EventLog, log))
    })
  )

/** No daily limit defaults (users' overrides still apply). */
export const layer: Layer.Layer<PayoutStore | EventLog> = layerWith({})
