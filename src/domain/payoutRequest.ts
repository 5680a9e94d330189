import { Either, ParseResult, Predicate, Schema } from "effect"
import { type FieldIssue, ValidationError } from "./errors.js"
import { UserId } from "./ids.js"
import { Currency, type Minor, parseAmount } from "./money.js"
import type { Metadata } from "./transaction.js"

/** A client-facing message in place of the schema's own wording (an annotation). */
export const says = (message: string) => ({ message: () => ({ message, override: true }) })

const MetadataValue = Schema.Union(
  Schema.String.pipe(Schema.maxLength(500)),
  // finite: 1e400 parses to Infinity, which would read back as null
  Schema.Finite,
  Schema.Boolean
).annotations(says("metadata values must be strings of at most 500 characters, numbers or booleans"))

const MAX_METADATA_KEYS = 10
const MAX_METADATA_KEY_LENGTH = 100

/** A key the record below would drop (too long) or could not hold (`__proto__` sets a prototype). */
const metadataKeyIssue = (key: string): string | undefined =>
  key === "__proto__"
    ? "__proto__ is not allowed as a metadata key"
    : key.length > MAX_METADATA_KEY_LENGTH
      ? `metadata keys must be at most ${MAX_METADATA_KEY_LENGTH} characters`
      : undefined

/**
 * The metadata object as sent, checked before it is decoded into a record:
 * every key is kept as it is or the body is refused, and the keys are counted
 * as sent, so nothing is silently dropped.
 */
const MetadataAsSent = Schema.declare((u: unknown): u is { readonly [key: string]: unknown } => Predicate.isRecord(u), {
  message: () => "metadata must be an object",
  jsonSchema: {
    type: "object",
    maxProperties: MAX_METADATA_KEYS,
    propertyNames: { maxLength: MAX_METADATA_KEY_LENGTH, not: { const: "__proto__" } },
    additionalProperties: { anyOf: [{ type: "string", maxLength: 500 }, { type: "number" }, { type: "boolean" }] }
  }
}).pipe(
  Schema.filter((metadata) => {
    const keys = Object.keys(metadata)
    const issues = keys.flatMap((key) => {
      const message = metadataKeyIssue(key)
      // the key is named in the answer, never echoed whole (a 15 KB key would come back as is)
      const named = key.length > MAX_METADATA_KEY_LENGTH ? `${key.slice(0, MAX_METADATA_KEY_LENGTH)}…` : key
      return message === undefined ? [] : [{ path: [named], message }]
    })
    if (issues.length > 0) return issues
    return keys.length <= MAX_METADATA_KEYS || `metadata may have at most ${MAX_METADATA_KEYS} keys`
  })
)

export const PayoutMetadata = Schema.compose(
  MetadataAsSent,
  Schema.Record({ key: Schema.String.pipe(Schema.maxLength(MAX_METADATA_KEY_LENGTH)), value: MetadataValue }),
  { strict: false }
)

const CurrencyInput = Currency.annotations(says("currency must be one of USD, EUR, GBP, INR"))
const Description = Schema.String.pipe(Schema.maxLength(500)).annotations(
  says("description must be a string of at most 500 characters")
)

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/

/** An ISO 8601 date-time with its offset (`2026-12-24T09:00:00Z`), as epoch milliseconds; `field` names it in the message. */
export const IsoDateTimeInput = (field: string) =>
  Schema.transformOrFail(Schema.String, Schema.Number, {
    strict: true,
    decode: (text, _, ast) => {
      const ms = ISO_DATE_TIME.test(text) ? Date.parse(text) : Number.NaN
      return Number.isFinite(ms) ? ParseResult.succeed(ms) : ParseResult.fail(new ParseResult.Type(ast, text))
    },
    encode: (ms) => ParseResult.succeed(new Date(ms).toISOString())
  }).annotations(says(`${field} must be an ISO 8601 date-time with a time zone, like 2026-12-24T09:00:00Z`))

const ScheduledForInput = IsoDateTimeInput("scheduledFor")

/** A decimal amount as the client sends it: a JSON number or a decimal string. */
export const AmountInput = Schema.Union(
  Schema.Number,
  Schema.String.annotations({ description: "decimal string, at most 2 places", examples: ["100.50"] })
).annotations({
  ...says('amount must be a positive decimal: a JSON number or a string like "100.50"'),
  description: "a positive decimal with at most 2 places, as a JSON number or a string",
  examples: ["100.50"]
})

/** The body of POST /api/payout, as sent. Unknown keys are ignored. */
export const PayoutBody = Schema.Struct({
  userId: UserId,
  amount: AmountInput,
  // exact: a JSON body has no undefined, and the error then names only what is wrong
  currency: Schema.optionalWith(CurrencyInput, { exact: true }),
  description: Schema.optionalWith(Description, { exact: true }),
  metadata: Schema.optionalWith(PayoutMetadata, { exact: true }),
  scheduledFor: Schema.optionalWith(ScheduledForInput, { exact: true })
}).annotations({
  message: () => "the body must be a JSON object",
  examples: [{ userId: "user_001" as never, amount: "100.50", currency: "USD", description: "Weekly payout" }]
})

export interface PayoutRequest {
  readonly userId: UserId
  readonly amount: Minor
  readonly currency: Currency
  readonly description: string | null
  readonly metadata: Metadata
  /** When settlement may start (ms); null: at once. */
  readonly scheduledFor: number | null
}

/** A payout body as validated, before the user is read: no `currency` means the user's own. */
export interface PayoutRequestInput extends Omit<PayoutRequest, "currency"> {
  readonly currency: Currency | null
}

/** The request in the currency it names, or else in the user's own (not a fixed USD). */
export const inCurrencyOf = (request: PayoutRequestInput, userCurrency: Currency): PayoutRequest => ({
  ...request,
  currency: request.currency ?? userCurrency
})

export interface AmountLimits {
  readonly minMinor: number
  readonly maxMinor: number
}

export const amountIssue = (input: number | string, limits: AmountLimits): Either.Either<Minor, string> =>
  Either.flatMap(
    Either.mapLeft(parseAmount(input), (e) =>
      e._tag === "TooManyDecimals"
        ? "amount must have at most 2 decimal places"
        : e._tag === "TooLarge"
          ? "amount is too large"
          : "amount must be a positive decimal number"
    ),
    (amount) =>
      amount < limits.minMinor
        ? Either.left(`amount must be at least ${limits.minMinor / 100}`)
        : amount > limits.maxMinor
          ? Either.left(`amount must be at most ${limits.maxMinor / 100}`)
          : Either.right(amount)
  )

/** One detail per field: the first thing wrong with it. */
export const firstPerField = (issues: Iterable<FieldIssue>): ReadonlyArray<FieldIssue> => {
  const byField = new Map<string, string>()
  for (const { field, message } of issues) if (!byField.has(field)) byField.set(field, message)
  return [...byField].map(([field, message]) => ({ field, message }))
}

export const issuesOf = (error: ParseResult.ParseError): ReadonlyArray<FieldIssue> =>
  firstPerField(
    ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => {
      const field = issue.path.length === 0 ? "body" : issue.path.join(".")
      return { field, message: issue._tag === "Missing" ? `${field} is required` : issue.message }
    })
  )

/**
 * Decodes an untrusted body that carries an `amount`, then reads the amount
 * exactly within the limits: the decoded body and its amount in minor units, or a
 * ValidationError with one detail per field.
 */
export const parseWithAmount =
  <A extends { readonly amount: number | string }, I>(schema: Schema.Schema<A, I>, what: string) =>
  (body: unknown, limits: AmountLimits): Either.Either<{ readonly body: A; readonly amount: Minor }, ValidationError> =>
    Either.flatMap(
      Either.mapLeft(
        Schema.decodeUnknownEither(schema, { errors: "all" })(body),
        (e) => new ValidationError({ message: `Invalid ${what}`, details: issuesOf(e) })
      ),
      (decoded) =>
        Either.map(
          Either.mapLeft(
            amountIssue(decoded.amount, limits),
            (message) => new ValidationError({ message, details: [{ field: "amount", message }] })
          ),
          (amount) => ({ body: decoded, amount })
        )
    )

const parsePayoutBody = parseWithAmount(PayoutBody, "payout request")

/** Exact validation of an untrusted payout body. */
export const parsePayoutRequest = (
  body: unknown,
  limits: AmountLimits
): Either.Either<PayoutRequestInput, ValidationError> =>
  Either.map(parsePayoutBody(body, limits), ({ body: b, amount }) => ({
    userId: b.userId,
    amount,
    currency: b.currency ?? null,
    description: b.description ?? null,
    metadata: b.metadata ?? {},
    scheduledFor: b.scheduledFor ?? null
  }))

/** A schedule must lie in the future and at most `maxAheadMs` from `now`. */
export const scheduleIssue = (scheduledFor: number | null, now: number, maxAheadMs: number): string | null =>
  scheduledFor === null
    ? null
    : scheduledFor <= now
      ? "scheduledFor must be in the future"
      : scheduledFor > now + maxAheadMs
        ? `scheduledFor must be at most ${Math.round(maxAheadMs / 86_400_000)} days ahead`
        : null
