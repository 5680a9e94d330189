import { Schema } from "effect"
import { TransactionId, UserId } from "./ids.js"
import { Currency, Minor } from "./money.js"

export const TransactionStatus = Schema.Literal("initiated", "processing", "completed", "failed")
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

export const Initiated = Schema.TaggedStruct("initiated", Base)
export const Processing = Schema.TaggedStruct("processing", {
  ...Base,
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
export const Transaction = Schema.Union(Initiated, Processing, Completed, Failed)

export type Initiated = typeof Initiated.Type
export type Processing = typeof Processing.Type
export type Completed = typeof Completed.Type
export type Failed = typeof Failed.Type
export type Transaction = typeof Transaction.Type
export type Open = Initiated | Processing
export type Terminal = Completed | Failed

export const isOpen = (t: Transaction): t is Open => t._tag === "initiated" || t._tag === "processing"
export const isTerminal = (t: Transaction): t is Terminal => !isOpen(t)

/** The legal moves, and nothing else: a completed or failed payout never moves again. */
export const transitions: { readonly [S in TransactionStatus]: ReadonlyArray<TransactionStatus> } = {
  initiated: ["processing"],
  processing: ["processing", "completed", "failed"],
  completed: [],
  failed: []
}

export const canMove = (from: TransactionStatus, to: TransactionStatus): boolean => transitions[from].includes(to)

export interface NewPayout {
  readonly transactionId: TransactionId
  readonly userId: UserId
  readonly amount: Minor
  readonly currency: Currency
  readonly description: string | null
  readonly metadata: Metadata
}

export const initiate = (p: NewPayout, at: number): Initiated =>
  Initiated.make({ ...p, createdAt: at, updatedAt: at, attempts: 0 })

/** Each settlement attempt claims the payout; a re-drive of a processing payout claims it again. */
export const startProcessing = (t: Open, at: number): Processing =>
  Processing.make({
    ...t,
    _tag: "processing",
    processingStartedAt: t._tag === "processing" ? t.processingStartedAt : at,
    updatedAt: at,
    attempts: t.attempts + 1
  })

export const complete = (t: Processing, at: number): Completed =>
  Completed.make({ ...t, _tag: "completed", completedAt: at, updatedAt: at })

export const fail = (t: Processing, reason: string, at: number): Failed =>
  Failed.make({ ...t, _tag: "failed", failedAt: at, failureReason: reason, updatedAt: at })
