import { Either, ParseResult, Schema } from "effect"
import { AmountInput, Currency, currencies, Minor, parseAmount, UserId, UserStatus } from "../../domain/index.js"

export { CreditBody, PayoutBody } from "../../domain/index.js"

export const CreateUserBody = Schema.Struct({
  userId: UserId,
  name: Schema.optional(Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(100))),
  email: Schema.optional(
    Schema.String.pipe(
      Schema.maxLength(254),
      Schema.pattern(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { message: () => "email must be an email address" })
    )
  ),
  currency: Schema.optional(Currency)
}).annotations({ identifier: "CreateUser" })

/** A daily amount limit as the client sends it (a decimal), in minor units. */
const LimitAmount = Schema.transformOrFail(AmountInput, Minor, {
  strict: true,
  decode: (input, _, ast) =>
    Either.match(parseAmount(input), {
      onLeft: () => ParseResult.fail(new ParseResult.Type(ast, input, "a limit amount must be a positive decimal")),
      onRight: (minor) =>
        minor > 0
          ? ParseResult.succeed(minor)
          : ParseResult.fail(new ParseResult.Type(ast, input, "must be more than 0"))
    }),
  encode: (minor) => ParseResult.succeed(minor / 100)
})

const LimitChange = Schema.Struct({
  amount: Schema.optionalWith(Schema.NullOr(LimitAmount), { exact: true }).annotations({
    description: "Daily amount limit (decimal); null drops the override"
  }),
  count: Schema.optionalWith(
    Schema.NullOr(
      Schema.Int.pipe(Schema.positive()).annotations({ message: () => "a limit count must be a positive integer" })
    ),
    { exact: true }
  ).annotations({ description: "Daily payout count limit; null drops the override" })
})
  .annotations({ parseOptions: { onExcessProperty: "error" } })
  .pipe(
    Schema.filter((c) =>
      c.amount === undefined && c.count === undefined ? "a limit change names amount, count or both" : undefined
    )
  )

const isCurrency = (key: string) => (currencies as ReadonlyArray<string>).includes(key)

/**
 * The keys as sent, checked before the record decodes: JSON.parse makes
 * `"__proto__"` an own key, which a decoded record would turn into its prototype.
 */
const CurrencyKeyed = Schema.declare(
  (u: unknown): u is Readonly<Record<string, unknown>> =>
    typeof u === "object" &&
    u !== null &&
    !Array.isArray(u) &&
    Object.getOwnPropertyNames(u).length > 0 &&
    Object.getOwnPropertyNames(u).every(isCurrency),
  {
    message: () => `limits are keyed by currency (${currencies.join(", ")}), at least one`,
    jsonSchema: {
      type: "object",
      minProperties: 1,
      propertyNames: { enum: [...currencies] },
      additionalProperties: {
        type: "object",
        minProperties: 1,
        additionalProperties: false,
        properties: {
          amount: {
            anyOf: [{ type: "number" }, { type: "string" }, { type: "null" }],
            description: "daily amount limit, a positive decimal; null drops the override"
          },
          count: {
            anyOf: [{ type: "integer", minimum: 1 }, { type: "null" }],
            description: "daily payout count limit; null drops the override"
          }
        }
      },
      examples: [{ USD: { amount: "5000.00", count: 20 } }]
    }
  }
)

const LimitsChange = Schema.compose(CurrencyKeyed, Schema.Record({ key: Schema.String, value: LimitChange }), {
  strict: false
}).annotations({ description: "Per currency (USD, EUR, GBP, INR): the limit overrides to set or drop" })

export const UpdateUserBody = Schema.Struct({
  status: Schema.optionalWith(UserStatus, { exact: true }),
  limits: Schema.optionalWith(LimitsChange, { exact: true })
})
  .pipe(
    Schema.filter((b) => (b.status === undefined && b.limits === undefined ? "give status, limits or both" : undefined))
  )
  .annotations({ identifier: "UpdateUser" })

export const ReturnBody = Schema.Struct({
  reason: Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(500)).annotations({
    message: () => ({ message: "reason must be 1 to 500 characters", override: true })
  })
}).annotations({ identifier: "PayoutReturn" })
