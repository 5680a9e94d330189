import { Context, type Effect, type Option } from "effect"
import type {
  Account,
  AttemptRef,
  AuditEntry,
  BatchId,
  BatchRejected,
  Currency,
  IdempotencyKeyInUse,
  IdempotencyKeyReused,
  IdempotencyScope,
  IdempotentResult,
  InsufficientBalance,
  LeaseRequest,
  LedgerEntry,
  LimitExceeded,
  LimitPatch,
  Minor,
  NewBatch,
  NewPayout,
  Open,
  PayoutBatch,
  PayoutNotCancelable,
  PayoutNotReturnable,
  Processing,
  ReconcileReport,
  ServiceUnavailable,
  Transaction,
  TransactionId,
  TransactionNotFound,
  TransactionStatus,
  User,
  UserExists,
  UserId,
  UserNotActive,
  UserNotFound,
  UserStatus
} from "../domain/index.js"
import type { StoredEvent } from "./EventLog.js"

/** What an Idempotency-Key is bound to: its scope, the key and the request's fingerprint. */
export interface IdempotencyClaim<S extends IdempotencyScope = IdempotencyScope> {
  readonly scope: S
  readonly key: string
  readonly fingerprint: string
}

/** Proof that this request holds the pending record of its key. */
export interface IdempotencyTicket {
  readonly scope: IdempotencyScope
  readonly key: string
  readonly token: string
}

export type IdempotencyBegin =
  | { readonly _tag: "Started"; readonly ticket: IdempotencyTicket }
  | { readonly _tag: "Replay"; readonly result: IdempotentResult }

/** The events a step recorded with its change, oldest first: none when the step was a no-op. */
export type Recorded = ReadonlyArray<StoredEvent>

/** A reserve's answer: the payout, and its PAYOUT_INITIATED when this call made it. */
export interface Reserved {
  readonly transaction: Transaction
  readonly events: Recorded
}

/** A batch's record, its payouts (in the record's order) and what the step recorded (none on a repeat). */
export interface BatchReserved {
  readonly batch: PayoutBatch
  readonly transactions: ReadonlyArray<Transaction>
  readonly events: Recorded
}

/** A batch as read back: the record and each accepted item's payout as it is now. */
export interface BatchFound {
  readonly batch: PayoutBatch
  readonly transactions: ReadonlyArray<Transaction>
}

export type StartProcessing =
  /**
   * This caller owns attempt `transaction.attempts` under its lease; `first` when it
   * left `initiated` (then `events` holds its PAYOUT_PROCESSING).
   */
  | {
      readonly _tag: "Claimed"
      readonly transaction: Processing
      readonly first: boolean
      readonly events: Recorded
    }
  /** A live attempt holds the lease (until `transaction.claimedUntil`): ask again after it. */
  | { readonly _tag: "Busy"; readonly transaction: Processing }
  /** The message is older than the payout (final, or a later attempt began): do nothing. */
  | { readonly _tag: "Stale"; readonly transaction: Transaction }

/** How an attempt's final write went: `moved` when this call made the move (false: it found the payout as it is). */
export interface Finish {
  readonly moved: boolean
  readonly transaction: Transaction
  /** PAYOUT_COMPLETED / PAYOUT_FAILED / PAYOUT_CANCELED when `moved`. */
  readonly events: Recorded
}

export interface NewUser {
  readonly userId: UserId
  readonly name: string
  readonly email: string | null
  readonly currency: Currency
  readonly status: UserStatus
}

/** Where a page ends: the last transaction it showed (history is ordered by createdAt, then id, newest first). */
export interface HistoryCursor {
  readonly createdAt: number
  readonly transactionId: TransactionId
}

export interface HistoryQuery {
  readonly limit: number
  readonly status?: TransactionStatus | undefined
  readonly cursor?: HistoryCursor | undefined
}

export interface HistoryPage {
  readonly transactions: ReadonlyArray<Transaction>
  readonly nextCursor: HistoryCursor | null
}

/** Payouts across users (the admin's list): newest first like history, every filter optional. */
export interface PayoutQuery {
  readonly limit: number
  readonly status?: TransactionStatus | undefined
  readonly userId?: UserId | undefined
  /** createdAt >= this (epoch ms). */
  readonly createdFrom?: number | undefined
  /** createdAt < this (epoch ms). */
  readonly createdBefore?: number | undefined
  readonly cursor?: HistoryCursor | undefined
}

/** Users by userId (ascending), after `cursor` (the last userId of the previous page). */
export interface UserQuery {
  readonly limit: number
  readonly status?: UserStatus | undefined
  /** Only users holding an account in this currency. */
  readonly currency?: Currency | undefined
  readonly cursor?: UserId | undefined
}

export interface UserWithAccounts {
  readonly user: User
  readonly accounts: ReadonlyArray<Account>
}

export interface UserPage {
  readonly users: ReadonlyArray<UserWithAccounts>
  readonly nextCursor: UserId | null
}

/** One account's postings by `seq`, oldest first, after `cursor` (the last seq shown). */
export interface LedgerQuery {
  readonly currency: Currency
  readonly limit: number
  readonly cursor?: number | undefined
}

export interface LedgerPage {
  readonly entries: ReadonlyArray<LedgerEntry>
  readonly nextCursor: number | null
}

/**
 * Accounts, transactions, the double-entry ledger, the audit log and idempotency
 * records. Every mutation is one atomic, conditional step that writes the balance
 * change, its ledger posting, its audit entry and its payout event (the EventLog)
 * together; repeating one is a no-op that returns the current state and records
 * nothing. Time comes from `Clock`.
 */
export interface PayoutStoreShape {
  readonly createUser: (user: NewUser) => Effect.Effect<User, UserExists | ServiceUnavailable>
  readonly setUserStatus: (userId: UserId, status: UserStatus) => Effect.Effect<User, UserNotFound | ServiceUnavailable>
  /** Applies an admin's change to the user's daily limit overrides (audited); returns the user as it is now. */
  readonly setUserLimits: (userId: UserId, patch: LimitPatch) => Effect.Effect<User, UserNotFound | ServiceUnavailable>
  readonly getUser: (userId: UserId) => Effect.Effect<Option.Option<User>, ServiceUnavailable>

  /** Claims a key for this request, or answers with the first result, 409 in flight, 422 reused. A lapsed pending claim (crashed holder) is taken over after `leaseMs`. */
  readonly beginIdempotent: (
    claim: IdempotencyClaim,
    leaseMs: number
  ) => Effect.Effect<IdempotencyBegin, IdempotencyKeyInUse | IdempotencyKeyReused | ServiceUnavailable>
  /** Drops a pending claim this ticket holds (the request ended without a result to remember). */
  readonly abandonIdempotent: (ticket: IdempotencyTicket) => Effect.Effect<void, ServiceUnavailable>

  /**
   * available → held, insert the `initiated` transaction, posting, audit, PAYOUT_INITIATED, and complete the
   * idempotency record: all or nothing. The same step charges the account's daily usage and refuses a payout
   * past the user's daily limits (the store's defaults, or the user's overrides).
   */
  readonly reserve: (
    payout: NewPayout,
    idempotency: IdempotencyTicket | null
  ) => Effect.Effect<
    Reserved,
    UserNotFound | UserNotActive | InsufficientBalance | LimitExceeded | IdempotencyKeyInUse | ServiceUnavailable
  >
  /**
   * A batch in one atomic step: every item checked as `reserve` checks it
   * (`planBatch`: the balance summed per user and currency over the batch), then
   * each accepted item written exactly as `reserve` writes one, plus the batch
   * record and the idempotency result. Atomic: one refused item refuses the
   * batch (BatchRejected) and nothing is written. Not atomic: the refused items
   * are kept in the record with their reason; no accepted item at all is
   * BatchRejected too. A repeated batchId returns the record and writes nothing.
   */
  readonly reserveBatch: (
    batch: NewBatch,
    idempotency: IdempotencyTicket | null
  ) => Effect.Effect<BatchReserved, BatchRejected | IdempotencyKeyInUse | ServiceUnavailable>
  readonly getBatch: (batchId: BatchId) => Effect.Effect<Option.Option<BatchFound>, ServiceUnavailable>
  /** A funding posting (funding → available). Closed users cannot be credited. */
  readonly credit: (
    input: { readonly userId: UserId; readonly amount: Minor; readonly currency: Currency },
    idempotency: IdempotencyTicket | null
  ) => Effect.Effect<Account, UserNotFound | UserNotActive | IdempotencyKeyInUse | ServiceUnavailable>

  /**
   * CAS: the next attempt, under a lease, when `claimDecision` allows it (the
   * payout is initiated, or processing with an expired lease and the message is
   * for this attempt or the one before): attempts + 1, `claimedBy`, `claimedUntil`.
   */
  readonly startProcessing: (
    transactionId: TransactionId,
    expectedAttempts: number,
    lease: LeaseRequest
  ) => Effect.Effect<StartProcessing, TransactionNotFound | ServiceUnavailable>
  /** The attempt's heartbeat: CAS on (attempt, owner) → `claimedUntil = now + ms`. False once the attempt lost the payout. */
  readonly renewLease: (
    attempt: AttemptRef,
    ms: number
  ) => Effect.Effect<boolean, TransactionNotFound | ServiceUnavailable>
  /** A transient failure: CAS on the attempt → lease given up, the retry will be queued at `retryAt`. */
  readonly deferAttempt: (
    attempt: AttemptRef,
    retryAt: number
  ) => Effect.Effect<Transaction, TransactionNotFound | ServiceUnavailable>
  /** CAS on the attempt: processing → completed, held → paidOut. A foreign or late attempt moves nothing. */
  readonly settle: (attempt: AttemptRef) => Effect.Effect<Finish, TransactionNotFound | ServiceUnavailable>
  /** CAS on the attempt: processing → failed, held → available. A foreign or late attempt moves nothing. */
  readonly release: (
    attempt: AttemptRef,
    reason: string
  ) => Effect.Effect<Finish, TransactionNotFound | ServiceUnavailable>

  /**
   * CAS: initiated → canceled, held → available (a RELEASE posting), audit,
   * PAYOUT_CANCELED. Already canceled: `moved` false, nothing written. Claimed
   * by a worker, or final: PayoutNotCancelable. With a ticket, its key is
   * completed with `cancelResult` in the same step (also when already canceled);
   * a ticket taken over since is IdempotencyKeyInUse, and nothing is written.
   */
  readonly cancel: (
    transactionId: TransactionId,
    by: UserId,
    idempotency?: IdempotencyTicket | null
  ) => Effect.Effect<Finish, TransactionNotFound | PayoutNotCancelable | IdempotencyKeyInUse | ServiceUnavailable>

  /**
   * CAS: completed → returned, paidOut → available (a RETURN posting), audit,
   * PAYOUT_RETURNED. Already returned: `moved` false. Anything else: PayoutNotReturnable.
   */
  readonly recordReturn: (
    transactionId: TransactionId,
    reason: string,
    by: UserId
  ) => Effect.Effect<Finish, TransactionNotFound | PayoutNotReturnable | ServiceUnavailable>

  readonly getTransaction: (
    transactionId: TransactionId
  ) => Effect.Effect<Option.Option<Transaction>, ServiceUnavailable>
  /** Newest first, after `cursor` when given. */
  readonly history: (userId: UserId, query: HistoryQuery) => Effect.Effect<HistoryPage, ServiceUnavailable>
  readonly accounts: (userId: UserId) => Effect.Effect<ReadonlyArray<Account>, ServiceUnavailable>
  /** Payouts of every user, newest first (createdAt, then id), after `cursor` when given. */
  readonly payouts: (query: PayoutQuery) => Effect.Effect<HistoryPage, ServiceUnavailable>
  /** Users with their accounts, by userId. */
  readonly users: (query: UserQuery) => Effect.Effect<UserPage, ServiceUnavailable>
  /** An account's postings with the balance after each, oldest first (by the account's `seq`). */
  readonly ledger: (userId: UserId, query: LedgerQuery) => Effect.Effect<LedgerPage, ServiceUnavailable>
  /** Oldest first. */
  readonly audit: (transactionId: TransactionId) => Effect.Effect<ReadonlyArray<AuditEntry>, ServiceUnavailable>
  /**
   * Up to `limit` payouts nobody works on (`isRecoverable`: initiated, or the lease
   * expired) and not queued for `idleMs`, longest first; each is marked queued now
   * with a compare-and-set, so any number of callers get a payout once per idle period.
   */
  readonly claimStuck: (idleMs: number, limit: number) => Effect.Effect<ReadonlyArray<Open>, ServiceUnavailable>
  /** An open payout whose message did not reach the broker: due for Recovery at once (no-op when no longer open). */
  readonly markUnqueued: (transactionId: TransactionId) => Effect.Effect<void, ServiceUnavailable>
  readonly reconcile: Effect.Effect<ReconcileReport, ServiceUnavailable>
  readonly ping: Effect.Effect<void, ServiceUnavailable>
}

export class PayoutStore extends Context.Tag("swiftpay/PayoutStore")<PayoutStore, PayoutStoreShape>() {}
