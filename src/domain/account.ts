import { Schema } from "effect"
import { UserId } from "./ids.js"
import { DailyUsage, UserLimits } from "./limits.js"
import { Currency, Minor } from "./money.js"

export const UserStatus = Schema.Literal("active", "suspended", "closed")
export type UserStatus = typeof UserStatus.Type

export const User = Schema.Struct({
  userId: UserId,
  name: Schema.String,
  email: Schema.NullOr(Schema.String),
  currency: Currency,
  status: UserStatus,
  createdAt: Schema.Number,
  /** An admin's overrides of the daily payout limits. */
  limits: Schema.optional(UserLimits)
})
export type User = typeof User.Type

/** One balance sheet per (user, currency). funded == available + held + paidOut, always. */
export const Account = Schema.Struct({
  userId: UserId,
  currency: Currency,
  available: Minor,
  held: Minor,
  paidOut: Minor,
  funded: Minor,
  /** What was paid out from it on the last UTC day with a payout (daily limits). */
  daily: Schema.optional(DailyUsage)
})
export type Account = typeof Account.Type

export const emptyAccount = (userId: UserId, currency: Currency): Account => ({
  userId,
  currency,
  available: Minor.make(0),
  held: Minor.make(0),
  paidOut: Minor.make(0),
  funded: Minor.make(0)
})
