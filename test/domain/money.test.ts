import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { formatMinor, MAX_MINOR, parseAmount, toDecimalNumber } from "../../src/domain/money.js"

const cents = fc.integer({ min: 0, max: MAX_MINOR })

describe("Money", () => {
  it.prop("format then parse is the identity on minor units", [cents], ([n]) => {
    expect(parseAmount(formatMinor(n))).toEqual(Either.right(n))
  })

  it.prop(
    "a JSON number with at most 2 places parses exactly",
    [fc.integer({ min: 0, max: 10_000_000_000 })],
    ([n]) => {
      expect(parseAmount(toDecimalNumber(n))).toEqual(Either.right(n))
    }
  )

  it.prop(
    "more than 2 decimal places is an error, never a rounding",
    [fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 9 })],
    ([whole, third]) => {
      expect(parseAmount(`${whole}.12${third}`)).toEqual(Either.left({ _tag: "TooManyDecimals" }))
      expect(Either.isLeft(parseAmount(Number(`${whole}.12${third}`)))).toBe(true)
    }
  )

  it("reads decimals exactly where floats would not", () => {
    expect(parseAmount(0.1)).toEqual(Either.right(10))
    expect(parseAmount(100.5)).toEqual(Either.right(10_050))
    expect(parseAmount("0.29")).toEqual(Either.right(29))
    expect(parseAmount(1.005)).toEqual(Either.left({ _tag: "TooManyDecimals" }))
    expect(parseAmount(0.1 + 0.2)).toEqual(Either.left({ _tag: "TooManyDecimals" }))
    expect(parseAmount("007.5")).toEqual(Either.right(750))
  })

  it("refuses what is not a non-negative decimal", () => {
    for (const bad of ["", "1.", ".5", "-1", "+1", "1e3", "0x10", " 1", "1 ", "1,00", "NaN", "Infinity", "١٢"]) {
      expect(Either.isLeft(parseAmount(bad)), bad).toBe(true)
    }
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 1e-7]) {
      expect(Either.isLeft(parseAmount(bad)), String(bad)).toBe(true)
    }
    expect(parseAmount("99999999999999999")).toEqual(Either.left({ _tag: "TooLarge" }))
  })

  it.prop("formatting is exact text", [cents], ([n]) => {
    const text = formatMinor(n)
    expect(text).toMatch(/^\d+\.\d{2}$/)
    expect(text.replace(".", "").replace(/^0+(?=\d)/, "")).toBe(String(n))
  })
})
