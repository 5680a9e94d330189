import { HttpApiSchema } from "@effect/platform"
import { Clock, Effect, Either, Random, Schema } from "effect"
import type { User } from "./account.js"
import { InsufficientBalance, LimitExceeded, UserNotActive, UserNotFound, ValidationError } from "./errors.js"
import { TransactionId, UserId } from "./ids.js"
import { breachOf, type DailyLimit, type DailyUsage } from "./limits.js"
import { type Currency, type Minor, minor } from "./money.js"
import {
  type AmountLimits,
  firstPerField,
  issuesOf,
  type PayoutRequestInput,
  parsePayoutRequest,
  scheduleIssue
} from "./payoutRequest.js"
import type { NewPayout } from "./transaction.js"

export const BatchId = Schema.String.pipe(
  Schema.pattern(/^BAT_[0-9A-Z]+_[0-9A-F]{16}$/, { message: () => "batchId must look like BAT_<BASE36>_<16 HEX>" }),
  Schema.brand("BatchId")
)
export type BatchId = typeof BatchId.Type

const hex8 = Effect.map(Random.nextIntBetween(0, 0x1_0000_0000), (n) => n.toString(16).toUpperCase().padStart(8, "0"))

/** `BAT_<base36 ms>_<16 HEX>`, like a transaction id. */
export const makeBatchId: Effect.Effect<BatchId> = Effect.zipWith(
  Clock.currentTimeMillis,
  Effect.zipWith(hex8, hex8, (a, b) => a + b),
  (ms, tail) => BatchId.make(`BAT_${ms.toString(36).toUpperCase()}_${tail}`)
)

export const MAX_BATCH_ITEMS = 100

/** An item the batch made a payout of. */
export const BatchAccepted = Schema.TaggedStruct("accepted", {
  index: Schema.Int,
  userId: UserId,
  transactionId: TransactionId
})
/** An item refused (a non-atomic batch keeps its place and reason): the error's wire code and message. */
export const BatchRejectedItem = Schema.TaggedStruct("rejected", {
  index: Schema.Int,
  userId: UserId,
  code: Schema.String,
  message: Schema.String
})
export const BatchItem = Schema.Union(BatchAccepted, BatchRejectedItem)
export type BatchAccepted = typeof BatchAccepted.Type
export type BatchRejectedItem = typeof BatchRejectedItem.Type
export type BatchItem = typeof BatchItem.Type

/** The stored record of a batch: who made it, how, and what became of each item, in the order sent. */
export const PayoutBatch = Schema.Struct({
  batchId: BatchId,
  createdBy: UserId,
  atomic: Schema.Boolean,
  createdAt: Schema.Number,
  items: Schema.Array(BatchItem)
})
export type PayoutBatch = typeof PayoutBatch.Type

/** The users a batch moves money of, each once. */
export const batchUsers = (items: ReadonlyArray<{ readonly userId: UserId }>): ReadonlyArray<UserId> =>
  [...new Set(items.map((i) => i.userId))].sort()

/** An item as the store gets it: a payout with its id; no currency means the user's own. */
export interface BatchPayout extends Omit<NewPayout, "currency"> {
  readonly currency: Currency | null
}

export interface NewBatch {
  readonly batchId: BatchId
  readonly createdBy: UserId
  readonly atomic: boolean
  /** In the order sent: item i is `items[i]`. */
  readonly items: ReadonlyArray<BatchPayout>
}

export type ItemRefusal = UserNotFound | UserNotActive | LimitExceeded | InsufficientBalance

/** What a reserve reads of an account: the balance, and the usage it would be charged to (`usageOn`). */
export interface AccountState {
  readonly available: Minor
  readonly usage: DailyUsage
}

/**
 * The checks of one reserve, on what the store read: the user exists and is
 * active, the payout fits the user's daily limit, and `available` covers the
 * amount. Both stores run it for a single reserve and for every item of a batch.
 */
export const reserveIssue = (
  user: User | undefined,
  state: AccountState,
  payout: { readonly userId: UserId; readonly amount: Minor; readonly currency: Currency },
  limit: DailyLimit
): ItemRefusal | null => {
  if (user === undefined) return new UserNotFound({ userId: payout.userId })
  if (user.status !== "active") return new UserNotActive({ userId: user.userId, status: user.status })
  const breach = breachOf(limit, state.usage, payout.amount)
  if (breach !== null) return new LimitExceeded({ ...breach, currency: payout.currency })
  return state.available < payout.amount
    ? new InsufficientBalance({ available: state.available, requested: payout.amount })
    : null
}

const codeOf = (e: ItemRefusal): string =>
  e._tag === "UserNotFound"
    ? UserNotFound.code
    : e._tag === "UserNotActive"
      ? UserNotActive.code
      : e._tag === "LimitExceeded"
        ? LimitExceeded.code
        : InsufficientBalance.code

export const rejection = (index: number, userId: UserId, e: ItemRefusal): BatchRejectedItem => ({
  _tag: "rejected",
  index,
  userId,
  code: codeOf(e),
  message: e.message
})

/** An atomic batch with at least one item that cannot be paid: nothing was written. */
export class BatchRejected extends Schema.TaggedError<BatchRejected>()(
  "BatchRejected",
  { items: Schema.Array(BatchRejectedItem) },
  HttpApiSchema.annotations({ status: 422 })
) {
  static readonly code = "BATCH_REJECTED" as const
  override get message() {
    const n = this.items.length
    return `The batch was refused and nothing moved: ${n} ${n === 1 ? "item" : "items"} cannot be paid`
  }
}

export interface BatchPlan {
  /** The items that pass, in order, in the currency they resolve to. */
  readonly accepted: ReadonlyArray<{ readonly index: number; readonly payout: NewPayout }>
  readonly rejected: ReadonlyArray<BatchRejectedItem>
}

const accountKey = (userId: string, currency: string) => `${userId}\u0000${currency}`

/**
 * Every item checked in order against what the items before it took: the
 * balance and the day's usage are summed per (user, currency) over the batch,
 * so an item is refused when the ones before it leave too little (or use up the
 * limit). A pure function of what the store read, so both stores decide a batch alike.
 */
export const planBatch = (
  batch: NewBatch,
  userOf: (userId: UserId) => User | undefined,
  stateOf: (userId: UserId, currency: Currency) => AccountState,
  limitOf: (user: User | undefined, currency: Currency) => DailyLimit
): BatchPlan => {
  const taken = new Map<string, number>()
  const count = new Map<string, number>()
  const accepted: Array<{ readonly index: number; readonly payout: NewPayout }> = []
  const rejected: Array<BatchRejectedItem> = []
  batch.items.forEach((item, index) => {
    const user = userOf(item.userId)
    const currency = item.currency ?? user?.currency
    const key = currency === undefined ? "" : accountKey(item.userId, currency)
    if (currency === undefined) {
      rejected.push(rejection(index, item.userId, new UserNotFound({ userId: item.userId })))
      return
    }
    const read = stateOf(item.userId, currency)
    const before = taken.get(key) ?? 0
    const state: AccountState = {
      available: minor(read.available - before),
      usage: {
        ...read.usage,
        amount: minor(read.usage.amount + before),
        count: read.usage.count + (count.get(key) ?? 0)
      }
    }
    const issue = reserveIssue(user, state, { ...item, currency }, limitOf(user, currency))
    if (issue !== null) {
      rejected.push(rejection(index, item.userId, issue))
      return
    }
    taken.set(key, before + item.amount)
    count.set(key, (count.get(key) ?? 0) + 1)
    accepted.push({ index, payout: { ...item, currency } })
  })
  return { accepted, rejected }
}

/** The batch's record once its accepted items are written (`moved`: the transactions the writes made). */
export const batchRecord = (
  batch: NewBatch,
  accepted: ReadonlyArray<{ readonly index: number; readonly payout: NewPayout }>,
  rejected: ReadonlyArray<BatchRejectedItem>,
  at: number
): PayoutBatch => ({
  batchId: batch.batchId,
  createdBy: batch.createdBy,
  atomic: batch.atomic,
  createdAt: at,
  items: [
    ...accepted.map(
      ({ index, payout }): BatchItem => ({
        _tag: "accepted",
        index,
        userId: payout.userId,
        transactionId: payout.transactionId
      })
    ),
    ...rejected
  ].sort((a, b) => a.index - b.index)
})

/** The body of POST /api/payouts/batch, as sent: each item is a POST /api/payout body. */
export const BatchEnvelope = Schema.Struct({
  items: Schema.Array(Schema.Unknown)
    .pipe(Schema.minItems(1), Schema.maxItems(MAX_BATCH_ITEMS))
    .annotations({
      message: () => ({ message: `items must be an array of 1 to ${MAX_BATCH_ITEMS} payouts`, override: true })
    }),
  atomic: Schema.Boolean.annotations({
    message: () => ({ message: "atomic must be true or false", override: true })
  })
}).annotations({ message: () => "the body must be a JSON object" })

export interface BatchRequestInput {
  readonly atomic: boolean
  readonly items: ReadonlyArray<PayoutRequestInput>
}

/**
 * Exact validation of an untrusted batch body: the envelope, then every item
 * exactly as a single payout body (same parser, same schedule rule), each
 * detail's field prefixed with the item's place (`items.3.amount`).
 */
export const parseBatchRequest = (
  body: unknown,
  limits: AmountLimits,
  now: number,
  scheduleMaxMs: number
): Either.Either<BatchRequestInput, ValidationError> =>
  Either.flatMap(
    Either.mapLeft(
      Schema.decodeUnknownEither(BatchEnvelope, { errors: "all" })(body),
      (e) => new ValidationError({ message: "Invalid payout batch", details: issuesOf(e) })
    ),
    (envelope) => {
      const items: Array<PayoutRequestInput> = []
      const bad: Array<number> = []
      const details: Array<{ readonly field: string; readonly message: string }> = []
      envelope.items.forEach((raw, index) => {
        const parsed = Either.flatMap(parsePayoutRequest(raw, limits), (input) => {
          const problem = scheduleIssue(input.scheduledFor, now, scheduleMaxMs)
          return problem === null
            ? Either.right(input)
            : Either.left(
                new ValidationError({ message: problem, details: [{ field: "scheduledFor", message: problem }] })
              )
        })
        if (Either.isRight(parsed)) items.push(parsed.right)
        else {
          bad.push(index)
          for (const d of parsed.left.details) {
            const field = d.field === "body" ? `items.${index}` : `items.${index}.${d.field}`
            details.push({ field, message: d.message })
          }
        }
      })
      if (bad.length > 0) {
        const which = bad.length === 1 ? `item ${bad[0]}` : `items ${bad.join(", ")}`
        return Either.left(
          new ValidationError({ message: `Invalid payout batch: ${which}`, details: firstPerField(details) })
        )
      }
      return Either.right({ atomic: envelope.atomic, items })
    }
  )

/** No batch with this id, or someone else's (answered alike, so ids do not leak). */
export class BatchNotFound extends Schema.TaggedError<BatchNotFound>()(
  "BatchNotFound",
  { batchId: Schema.optional(Schema.String) },
  HttpApiSchema.annotations({ status: 404 })
) {
  static readonly code = "BATCH_NOT_FOUND" as const
  override get message() {
    return "Batch not found"
  }
}
