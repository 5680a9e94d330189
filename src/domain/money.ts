import { Either, Schema } from "effect"

export const Currency = Schema.Literal("USD", "EUR", "GBP", "INR")
export type Currency = typeof Currency.Type
export const currencies: ReadonlyArray<Currency> = Currency.literals

/** An amount in integer minor units (cents, paise). Never a float. */
export const Minor = Schema.Int.pipe(Schema.nonNegative(), Schema.brand("Minor"))
export type Minor = typeof Minor.Type

export const minor = (n: number): Minor => Minor.make(n)

export interface Money {
  readonly amount: Minor
  readonly currency: Currency
}

/** Largest amount accepted at the edge; keeps every sum far inside Number.MAX_SAFE_INTEGER. */
export const MAX_MINOR = 1_000_000_000_000_00

const DECIMAL = /^(\d+)(?:\.(\d{1,2}))?$/

export type AmountError =
  | { readonly _tag: "NotDecimal" }
  | { readonly _tag: "TooManyDecimals" }
  | { readonly _tag: "TooLarge" }

/**
 * Exact parse of a decimal amount. A JSON number is read through its shortest
 * round-trip text (what the client wrote for any amount with at most 17 digits),
 * so 100.1 is 10010 and 0.125 is an error, never a rounding.
 */
export const parseAmount = (input: number | string): Either.Either<Minor, AmountError> => {
  const text = typeof input === "number" ? numberText(input) : input
  if (text === undefined) return Either.left({ _tag: "NotDecimal" })
  const match = DECIMAL.exec(text)
  if (match === null) {
    return /^\d+\.\d{3,}$/.test(text) ? Either.left({ _tag: "TooManyDecimals" }) : Either.left({ _tag: "NotDecimal" })
  }
  const [, whole = "", fraction = ""] = match
  const digits = whole.replace(/^0+(?=\d)/, "")
  if (digits.length > 13) return Either.left({ _tag: "TooLarge" })
  const value = Number(digits) * 100 + Number(fraction.padEnd(2, "0"))
  return value > MAX_MINOR ? Either.left({ _tag: "TooLarge" }) : Either.right(minor(value))
}

const numberText = (n: number): string | undefined => {
  if (!Number.isFinite(n) || n < 0) return undefined
  const text = String(n)
  if (/e-/.test(text)) return "0.000" // below a cent: reported as too many decimals
  return /e/.test(text) ? undefined : text
}

/** Exact decimal text: 10010 → "100.10". */
export const formatMinor = (amount: number): string => {
  const sign = amount < 0 ? "-" : ""
  const abs = Math.abs(amount)
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, "0")}`
}

/** The JSON number a client sees: 10010 → 100.1 (the double nearest the exact decimal). */
export const toDecimalNumber = (amount: number): number => Number(formatMinor(amount))
