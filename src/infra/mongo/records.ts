import { Effect, Option, type Schema } from "effect"
import { type ClientSession, Long } from "mongodb"
import {
  type Account,
  type AuditAction,
  type AuditEntry,
  type BatchId,
  type Currency,
  eventFor,
  IDEMPOTENCY_RETENTION_MS,
  IdempotencyKeyInUse,
  type IdempotentResult,
  isOpen,
  ledgerEntry,
  type Minor,
  makePosting,
  type PayoutBatch,
  type PostingKind,
  scopeKey,
  type Transaction,
  type TransactionId,
  type User,
  type UserId
} from "../../domain/index.js"
import type { StoredEvent } from "../../ports/EventLog.js"
import type { IdempotencyTicket } from "../../ports/PayoutStore.js"
import type { MongoShape } from "./client.js"
import {
  AccountDoc,
  AuditDoc,
  BatchDoc,
  decode,
  EventDoc,
  encode,
  IdempotentResultDoc,
  LedgerEntryDoc,
  TransactionDoc,
  UserDoc
} from "./documents.js"
import { call, type MongoFailure } from "./driver.js"
import type { Collections } from "./indexes.js"

/** Every field a concurrent writer may change (status, attempt, lease, queue mark), as it was read. */
export const casFilter = (t: Transaction) => ({
  transactionId: t.transactionId,
  status: t._tag,
  attempts: t.attempts,
  ...(isOpen(t) ? { queuedAt: t.queuedAt } : {}),
  ...(t._tag === "processing" ? { claimedBy: t.claimedBy, claimedUntil: t.claimedUntil } : {})
})

const inSession = (session: ClientSession | undefined) => (session === undefined ? {} : { session })

/** The pending record a ticket holds: the compare-and-set of every idempotency step. */
export const pendingFilter = (ticket: IdempotencyTicket) => ({
  scope: scopeKey(ticket.scope),
  key: ticket.key,
  token: ticket.token,
  state: "pending"
})

/** Conditions and changes on an account's other fields, applied by moveMoney's one update. */
export interface AccountGuard {
  readonly filter?: Readonly<Record<string, unknown>>
  readonly inc?: Readonly<Record<string, Long | number>>
  readonly set?: Readonly<Record<string, unknown>>
}

const NO_GUARD: AccountGuard = {}

/** Reads and writes shared by the store's operations; each takes the session of the transaction it belongs to. */
export const makeRecords = (mongo: MongoShape, c: Collections) => {
  const findOne = <A, I>(
    find: () => Promise<unknown>,
    schema: Schema.Schema<A, I>
  ): Effect.Effect<Option.Option<A>, MongoFailure> =>
    call(find).pipe(Effect.flatMap((doc) => (doc === null ? Effect.succeedNone : Effect.asSome(decode(schema)(doc)))))

  const user = (userId: UserId, session?: ClientSession) =>
    findOne(() => c.users.findOne({ userId }, inSession(session)), UserDoc)

  const transaction = (transactionId: TransactionId, session?: ClientSession) =>
    findOne(() => c.transactions.findOne({ transactionId }, inSession(session)), TransactionDoc)

  const account = (userId: UserId, currency: Currency, session?: ClientSession) =>
    findOne(() => c.accounts.findOne({ userId, currency }, inSession(session)), AccountDoc)

  const holdsTicket = (ticket: IdempotencyTicket | null, session: ClientSession) =>
    ticket === null
      ? Effect.succeed(true)
      : call(() => c.idempotency.countDocuments(pendingFilter(ticket), { session, limit: 1 })).pipe(
          Effect.map((n) => n > 0)
        )

  const completeTicket = (
    ticket: IdempotencyTicket | null,
    result: IdempotentResult,
    now: number,
    session: ClientSession
  ) =>
    ticket === null
      ? Effect.void
      : Effect.flatMap(encode(IdempotentResultDoc)(result), (stored) =>
          call(() =>
            c.idempotency.updateOne(
              pendingFilter(ticket),
              {
                $set: { state: "completed", result: stored, expiresAt: new Date(now + IDEMPOTENCY_RETENTION_MS) },
                $unset: { token: "", leaseUntil: "" }
              },
              { session }
            )
          ).pipe(
            // The claim is the compare-and-set: a ticket taken over since it was checked aborts the whole step.
            Effect.filterOrFail(
              (res) => res.matchedCount === 1,
              () => new IdempotencyKeyInUse({ key: ticket.key })
            ),
            Effect.asVoid
          )
        )

  /**
   * The balance change and its posting, derived from the same lines. The debited
   * bucket must cover the amount (the filter is the compare-and-set); `None` when it does not.
   * The account counts its postings (`postings`, in the same `$inc`): the count after
   * is the posting's `seq`, and the account as updated its `balanceAfter`.
   */
  const moveMoney = (
    move: {
      readonly kind: PostingKind
      readonly userId: UserId
      readonly currency: Currency
      readonly amount: Minor
      readonly transactionId: TransactionId | null
      readonly postingId: string
    },
    now: number,
    session: ClientSession,
    /** More of the account the same update checks and changes (the daily usage a reserve charges). */
    guard: AccountGuard = NO_GUARD
  ): Effect.Effect<Option.Option<Account>, MongoFailure> =>
    Effect.gen(function* () {
      const posting = makePosting({ ...move, at: now })
      const inc: Record<string, Long | number> = { ...guard.inc, postings: Long.fromNumber(1) }
      const filter: Record<string, unknown> = { ...guard.filter, userId: move.userId, currency: move.currency }
      for (const line of posting.lines) {
        if (line.bucket === "funding") inc.funded = Long.fromNumber(-line.amount)
        else inc[line.bucket] = Long.fromNumber(line.amount)
        if (line.bucket !== "funding" && line.amount < 0) filter[line.bucket] = { $gte: Long.fromNumber(-line.amount) }
      }
      const funding = move.kind === "FUND"
      const zero = Long.fromNumber(0)
      const after = yield* call(() =>
        c.accounts.findOneAndUpdate(
          filter,
          funding
            ? { $inc: inc, $setOnInsert: { held: zero, paidOut: zero } }
            : { $inc: inc, ...(guard.set === undefined ? {} : { $set: guard.set }) },
          { session, upsert: funding, returnDocument: "after" }
        )
      )
      if (after === null) return Option.none()
      const account = yield* decode(AccountDoc)(after)
      const seq = Number(after.postings)
      if (!Number.isSafeInteger(seq) || seq < 1) return yield* Effect.dieMessage("account posting counter not a count")
      const stored = yield* encode(LedgerEntryDoc)(ledgerEntry(posting, seq, account))
      yield* call(() => c.ledger.insertOne({ ...stored }, { session }))
      return Option.some(account)
    })

  const audit = (
    entry: {
      readonly userId: UserId
      readonly transactionId: TransactionId | null
      readonly action: AuditAction
      readonly details: AuditEntry["details"]
    },
    now: number,
    session: ClientSession
  ) =>
    Effect.flatMap(encode(AuditDoc)({ ...entry, at: now }), (stored) =>
      call(() => c.audit.insertOne({ ...stored }, { session }))
    )

  const insertTransaction = (t: Transaction, session: ClientSession) =>
    Effect.flatMap(encode(TransactionDoc)(t), (stored) =>
      call(() => c.transactions.insertOne({ ...stored }, { session }))
    )

  /** Compare-and-set on the document as it was read: false when someone else changed it first. */
  const replaceTransaction = (from: Transaction, to: Transaction, session: ClientSession) =>
    Effect.flatMap(encode(TransactionDoc)(to), (stored) =>
      call(() => c.transactions.replaceOne(casFilter(from), { ...stored }, { session })).pipe(
        Effect.map((r) => r.matchedCount === 1)
      )
    )

  /** The event for `t`'s new state, as the user's next sequence (the counter's `$inc` is in the same step). */
  const recordEvent = (
    t: Transaction,
    newBalance: Minor | undefined,
    now: number,
    session: ClientSession
  ): Effect.Effect<StoredEvent, MongoFailure> =>
    Effect.gen(function* () {
      const counter = yield* call(() =>
        c.eventCounters.findOneAndUpdate(
          { userId: t.userId },
          { $inc: { sequence: 1 } },
          { session, upsert: true, returnDocument: "after" }
        )
      )
      const sequence = Number(counter?.sequence)
      if (!Number.isSafeInteger(sequence) || sequence < 1) return yield* Effect.dieMessage("event counter not a count")
      const event = eventFor(t, newBalance, sequence)
      const stored = yield* encode(EventDoc)({ ...event, recordedAt: now, delivered: [] })
      yield* call(() => c.events.insertOne({ ...stored }, { session }))
      return { event, sequence, recordedAt: now }
    })

  /** A batch's record and its payouts as they are now (one query), in the record's order. */
  const batch = (batchId: BatchId, session?: ClientSession) =>
    Effect.gen(function* () {
      const found = yield* findOne(() => c.batches.findOne({ id: batchId }, inSession(session)), BatchDoc)
      if (Option.isNone(found)) return Option.none()
      const ids = found.value.items.flatMap((i) => (i._tag === "accepted" ? [i.transactionId] : []))
      const docs = yield* call(() => c.transactions.find({ transactionId: { $in: ids } }, inSession(session)).toArray())
      const byId = new Map<string, Transaction>()
      for (const doc of docs) {
        const t = yield* decode(TransactionDoc)(doc)
        byId.set(t.transactionId, t)
      }
      return Option.some({
        batch: found.value,
        transactions: ids.flatMap((id) => {
          const t = byId.get(id)
          return t === undefined ? [] : [t]
        })
      })
    })

  const insertBatch = (b: PayoutBatch, session: ClientSession) =>
    Effect.flatMap(encode(BatchDoc)(b), (stored) => call(() => c.batches.insertOne({ ...stored }, { session })))

  const insertUser = (u: User, session: ClientSession) =>
    Effect.flatMap(encode(UserDoc)(u), (stored) => call(() => c.users.insertOne({ ...stored }, { session })))

  return {
    mongo,
    c,
    user,
    transaction,
    account,
    holdsTicket,
    completeTicket,
    moveMoney,
    audit,
    insertTransaction,
    replaceTransaction,
    recordEvent,
    batch,
    insertBatch,
    insertUser
  }
}

export type Records = ReturnType<typeof makeRecords>

/** The fields a payout's posting and audit entry take from it. */
export const movesOf = (t: Transaction) => ({
  userId: t.userId,
  currency: t.currency,
  amount: t.amount,
  transactionId: t.transactionId
})
