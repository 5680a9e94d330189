import { Schema } from "effect"
import { Currency, Minor } from "./money.js"

/** A daily payout limit of one currency: at most `amount` and `count` payouts per UTC day; null is no limit. */
export const DailyLimit = Schema.Struct({
  amount: Schema.NullOr(Minor),
  count: Schema.NullOr(Schema.Int.pipe(Schema.positive()))
})
export type DailyLimit = typeof DailyLimit.Type

/** A user's own limits, per currency and per field; what is absent follows the settings. */
export const LimitOverride = Schema.Struct({
  amount: Schema.optional(Minor),
  count: Schema.optional(Schema.Int.pipe(Schema.positive()))
})
export type LimitOverride = typeof LimitOverride.Type

export const UserLimits = Schema.partial(Schema.Record({ key: Currency, value: LimitOverride }))
export type UserLimits = typeof UserLimits.Type

/** What a user paid out in one currency on one UTC day (`YYYY-MM-DD`): every payout reserved that day. */
export const DailyUsage = Schema.Struct({ day: Schema.String, amount: Minor, count: Schema.Int })
export type DailyUsage = typeof DailyUsage.Type

export const NO_LIMIT: DailyLimit = { amount: null, count: null }

export const utcDay = (now: number): string => new Date(now).toISOString().slice(0, 10)

/** The user's override where it says something, the default elsewhere. */
export const effectiveLimit = (defaults: DailyLimit, override: LimitOverride | undefined): DailyLimit => ({
  amount: override?.amount ?? defaults.amount,
  count: override?.count ?? defaults.count
})

/** An admin's change to a user's overrides: a value sets one, null drops it (the setting applies again). */
export type LimitPatch = Readonly<
  Partial<Record<Currency, { readonly amount?: Minor | null | undefined; readonly count?: number | null | undefined }>>
>

export const LIMIT_FIELDS = ["amount", "count"] as const

/** The overrides once `patch` is applied; a currency left with no field is dropped. */
export const applyLimitPatch = (current: UserLimits | undefined, patch: LimitPatch): UserLimits => {
  const next: { [C in Currency]?: LimitOverride | undefined } = { ...current }
  for (const [currency, change] of Object.entries(patch) as Array<[Currency, LimitPatch[Currency]]>) {
    if (change === undefined) continue
    const merged: { amount?: Minor | undefined; count?: number | undefined } = { ...next[currency] }
    for (const field of LIMIT_FIELDS) {
      const value = change[field]
      if (value === null) delete merged[field]
      else if (value !== undefined) merged[field] = value as Minor
    }
    if (merged.amount === undefined && merged.count === undefined) delete next[currency]
    else next[currency] = LimitOverride.make(merged as LimitOverride)
  }
  return next
}

/**
 * The usage a reserve on `day` is charged to: the record when it is of that day
 * or a later one (a reserve dated before the record, from a clock behind or a
 * retried step, never takes the day back and so never resets a later day's
 * usage), else a fresh one.
 */
export const usageOn = (usage: DailyUsage | undefined, day: string): DailyUsage =>
  usage !== undefined && usage.day >= day ? usage : { day, amount: Minor.make(0), count: 0 }

/** Which limit a payout of `amount` would break, with what is left of it; null when it fits. */
export interface Breach {
  readonly kind: "amount" | "count"
  readonly max: number
  readonly used: number
  readonly remaining: number
}

export const breachOf = (limit: DailyLimit, usage: DailyUsage, amount: Minor): Breach | null => {
  if (limit.count !== null && usage.count + 1 > limit.count) {
    return { kind: "count", max: limit.count, used: usage.count, remaining: Math.max(limit.count - usage.count, 0) }
  }
  if (limit.amount !== null && usage.amount + amount > limit.amount) {
    return {
      kind: "amount",
      max: limit.amount,
      used: usage.amount,
      remaining: Math.max(limit.amount - usage.amount, 0)
    }
  }
  return null
}

/** The usage once a payout of `amount` is added. */
export const charged = (usage: DailyUsage, amount: Minor): DailyUsage => ({
  day: usage.day,
  amount: Minor.make(usage.amount + amount),
  count: usage.count + 1
})

/** Per-currency defaults from the settings. */
export type LimitDefaults = Readonly<Partial<Record<Currency, DailyLimit>>>

export const defaultFor = (defaults: LimitDefaults, currency: Currency): DailyLimit => defaults[currency] ?? NO_LIMIT
