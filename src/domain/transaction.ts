import { Schema } from "effect"
import { TransactionId, UserId } from "./ids.js"
import { Currency, Minor } from "./money.js"

export const TransactionStatus = Schema.Literal(
  "scheduled",
  "initiated",
  "processing",
  "completed",
  "failed",
  "canceled",
  "returned"
)
export type TransactionStatus = typeof TransactionStatus.Type

export const MetadataValue = Schema.Union(Schema.String, Schema.Number, Schema.Boolean)
export const Metadata = Schema.Record({ key: Schema.String, value: MetadataValue })
export type Metadata = typeof Metadata.Type

const Base = {
  transactionId: TransactionId,
  userId: UserId,
  amount: Minor,
  currency: Currency,
  description: Schema.NullOr(Schema.String),
  metadata: Metadata,
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
  attempts: Schema.Int
}

/** What an open payout carries for Recovery: when it was last put on the queue (0: never, publish it now). */
const Queued = { queuedAt: Schema.Number }

/**
 * `claimedUntil` of a lease given up: never a time (`now + ms` is never negative).
 * The settlement lease: attempt `attempts` belongs to `claimedBy` until
 * `claimedUntil` (renewed by its heartbeat). Only an expired lease may be taken
 * over. `claimedUntil` = `GIVEN_UP`: the attempt gave it up (`deferAttempt`) and
 * the payout waits for its retry, due at `queuedAt`.
 */
export const GIVEN_UP = -1

const Claimed = { claimedBy: Schema.String, claimedUntil: Schema.Number }

export const Initiated = Schema.TaggedStruct("initiated", { ...Base, ...Queued })
/**
 * Held at once, settled from `scheduledFor` on: `queuedAt` starts at
 * `scheduledFor`, so Recovery puts it on the queue when it is due.
 */
export const Scheduled = Schema.TaggedStruct("scheduled", { ...Base, ...Queued, scheduledFor: Schema.Number })
export const Processing = Schema.TaggedStruct("processing", {
  ...Base,
  ...Queued,
  ...Claimed,
  processingStartedAt: Schema.Number
})
export const Completed = Schema.TaggedStruct("completed", {
  ...Base,
  processingStartedAt: Schema.Number,
  completedAt: Schema.Number
})
export const Failed = Schema.TaggedStruct("failed", {
  ...Base,
  processingStartedAt: Schema.Number,
  failedAt: Schema.Number,
  failureReason: Schema.String
})
/** Canceled by its owner or an admin before any worker claimed it: the hold went back to available. */
export const Canceled = Schema.TaggedStruct("canceled", {
  ...Base,
  canceledAt: Schema.Number,
  canceledBy: UserId
})
/** Completed, then sent back by the bank: the amount is available again. */
export const Returned = Schema.TaggedStruct("returned", {
  ...Base,
  processingStartedAt: Schema.Number,
  completedAt: Schema.Number,
  returnedAt: Schema.Number,
  returnReason: Schema.String,
  returnedBy: UserId
})
export const Transaction = Schema.Union(Scheduled, Initiated, Processing, Completed, Failed, Canceled, Returned)

export type Initiated = typeof Initiated.Type
export type Scheduled = typeof Scheduled.Type
export type Processing = typeof Processing.Type
export type Completed = typeof Completed.Type
export type Failed = typeof Failed.Type
export type Canceled = typeof Canceled.Type
export type Returned = typeof Returned.Type
export type Transaction = typeof Transaction.Type
export type Open = Scheduled | Initiated | Processing
export type Terminal = Completed | Failed | Canceled | Returned

export const isOpen = (t: Transaction): t is Open =>
  t._tag === "initiated" || t._tag === "processing" || t._tag === "scheduled"
export const isTerminal = (t: Transaction): t is Terminal => !isOpen(t)

export interface NewPayout {
  readonly transactionId: TransactionId
  readonly userId: UserId
  readonly amount: Minor
  readonly currency: Currency
  readonly description: string | null
  readonly metadata: Metadata
  /** Settle from this time on (ms); null: at once. */
  readonly scheduledFor?: number | null | undefined
}

/** Who asks for a settlement lease, and for how long. */
export interface LeaseRequest {
  readonly owner: string
  readonly ms: number
}

/** One settlement attempt, as its owner knows it: the fence every later write of that attempt is checked against. */
export interface AttemptRef {
  readonly transactionId: TransactionId
  readonly attempt: number
  readonly owner: string
}

export const attemptOf = (t: Processing): AttemptRef => ({
  transactionId: t.transactionId,
  attempt: t.attempts,
  owner: t.claimedBy
})

/** The payout still belongs to this attempt (nobody took it over, nothing finished it). */
export const isHeldBy = (t: Transaction, ref: AttemptRef): t is Processing =>
  t._tag === "processing" && t.attempts === ref.attempt && t.claimedBy === ref.owner

export type ClaimDecision =
  /** Start attempt `attempts + 1`. */
  | { readonly _tag: "Claim" }
  /** A live attempt holds the lease until `until`: ask again after it. */
  | { readonly _tag: "Busy"; readonly until: number }
  /** The message is older than the payout (final, or a later attempt began): drop it. */
  | { readonly _tag: "Stale" }

const claim: ClaimDecision = { _tag: "Claim" }
const stale: ClaimDecision = { _tag: "Stale" }

/**
 * May a queue message, sent when the payout had `expectedAttempts`, start the next
 * attempt now? An `initiated` payout: if the counts match. A `processing` one: the
 * message is for this attempt (a retry or a re-drive: `attempts == expected`) or
 * the one that started it (a redelivery: `attempts == expected + 1`), and the
 * lease has expired. A deferred attempt (a transient failure) is taken only by
 * its retry, once due. The broker's "redelivered" flag is never trusted: a
 * duplicate can carry it while the first copy is still being settled.
 */
export const claimDecision = (t: Transaction, expectedAttempts: number, now: number): ClaimDecision => {
  if (t._tag === "initiated") return t.attempts === expectedAttempts ? claim : stale
  // not due yet: nothing claims it early; Recovery queues it when it is
  if (t._tag === "scheduled") return t.attempts === expectedAttempts && now >= t.scheduledFor ? claim : stale
  if (t._tag !== "processing") return stale
  if (isDeferred(t)) {
    // only the retry itself (or Recovery's re-drive of it), and not before it is due
    if (t.attempts !== expectedAttempts) return stale
    return now >= t.queuedAt ? claim : { _tag: "Busy", until: t.queuedAt }
  }
  if (t.attempts !== expectedAttempts && t.attempts !== expectedAttempts + 1) return stale
  return t.claimedUntil <= now ? claim : { _tag: "Busy", until: t.claimedUntil }
}

/** The attempt gave its lease up after a transient failure; the retry is due at `queuedAt`. */
export const isDeferred = (t: Processing): boolean => t.claimedUntil === GIVEN_UP

/**
 * Recovery re-queues an open payout that nobody is working on (initiated, or its
 * lease expired) and that has not been on the queue for `idleMs`.
 */
export const isRecoverable = (t: Transaction, now: number, idleMs: number): t is Open => {
  if (!isOpen(t)) return false
  // a scheduled payout is due at its time (queuedAt starts there); queuing it makes it initiated
  const idle = t._tag === "scheduled" ? 0 : idleMs
  return t.queuedAt <= now - idle && (t._tag !== "processing" || t.claimedUntil <= now)
}

export const initiate = ({ scheduledFor: _, ...p }: NewPayout, at: number): Initiated =>
  Initiated.make({ ...p, createdAt: at, updatedAt: at, attempts: 0, queuedAt: at })

/** A new payout: scheduled when it names a time, else initiated. */
export const open = (p: NewPayout, at: number): Initiated | Scheduled => {
  const { scheduledFor, ...rest } = p
  return scheduledFor === null || scheduledFor === undefined
    ? initiate(rest, at)
    : Scheduled.make({ ...rest, createdAt: at, updatedAt: at, attempts: 0, queuedAt: scheduledFor, scheduledFor })
}

/** Each settlement attempt claims the payout with a lease; a re-drive of a processing payout claims it again. */
export const startProcessing = (t: Open, lease: LeaseRequest, at: number): Processing => {
  const { scheduledFor: _, ...rest } = t as Open & { readonly scheduledFor?: number }
  return Processing.make({
    ...rest,
    _tag: "processing",
    processingStartedAt: t._tag === "processing" ? t.processingStartedAt : at,
    updatedAt: at,
    attempts: t.attempts + 1,
    claimedBy: lease.owner,
    claimedUntil: at + lease.ms
  })
}

export const renewLease = (t: Processing, ms: number, at: number): Processing => ({ ...t, claimedUntil: at + ms })

/** A heartbeat may renew only a lease that was not given up: a late one must not revive it. */
export const mayRenew = (t: Transaction, ref: AttemptRef): t is Processing => isHeldBy(t, ref) && !isDeferred(t)

/** A transient failure: the lease is given up, and the retry message will be on the queue at `retryAt`. */
export const deferAttempt = (t: Processing, retryAt: number, at: number): Processing => ({
  ...t,
  claimedUntil: GIVEN_UP,
  queuedAt: retryAt,
  updatedAt: at
})

/** Recovery put it on the queue again (or, with 0, asks that it be put there at once). */
export const markQueued = (t: Open, queuedAt: number): Open => {
  if (t._tag !== "scheduled") return { ...t, queuedAt }
  // its time has come: from now on an ordinary initiated payout
  const { scheduledFor: _, ...rest } = t
  return Initiated.make({ ...rest, _tag: "initiated", queuedAt, updatedAt: queuedAt })
}

const closed = ({ queuedAt: _q, claimedBy: _b, claimedUntil: _u, ...rest }: Processing) => rest

export const complete = (t: Processing, at: number): Completed =>
  Completed.make({ ...closed(t), _tag: "completed", completedAt: at, updatedAt: at })

export const fail = (t: Processing, reason: string, at: number): Failed =>
  Failed.make({ ...closed(t), _tag: "failed", failedAt: at, failureReason: reason, updatedAt: at })

/** Only a payout no worker has claimed yet may be canceled: initiated, or scheduled and not yet due and claimed. */
export const isCancelable = (t: Transaction): t is Initiated | Scheduled =>
  t._tag === "initiated" || t._tag === "scheduled"

export const cancel = (t: Initiated | Scheduled, by: UserId, at: number): Canceled => {
  const { queuedAt: _q, scheduledFor: _s, ...rest } = t as Initiated & { readonly scheduledFor?: number }
  return Canceled.make({ ...rest, _tag: "canceled", canceledAt: at, canceledBy: by, updatedAt: at })
}

/** A return is recorded once, on a completed payout only. */
export const recordReturn = (t: Completed, reason: string, by: UserId, at: number): Returned =>
  Returned.make({ ...t, _tag: "returned", returnedAt: at, returnReason: reason, returnedBy: by, updatedAt: at })
