import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { parsePayoutRequest } from "../../src/domain/index.js"

const limits = { minMinor: 1, maxMinor: 100_000_000 }
const ok = { userId: "user_001", amount: 100.5 }

describe("parsePayoutRequest", () => {
  it("accepts a good body with defaults", () => {
    expect(parsePayoutRequest({ ...ok, extra: "ignored" }, limits)).toEqual(
      Either.right({ userId: "user_001", amount: 10_050, currency: "USD", description: null, metadata: {} })
    )
    expect(Either.map(parsePayoutRequest({ ...ok, amount: "7.05", currency: "INR" }, limits), (r) => r.amount)).toEqual(
      Either.right(705)
    )
  })

  const bad: ReadonlyArray<[string, unknown, string]> = [
    ["negative", { ...ok, amount: -5 }, "amount"],
    ["zero", { ...ok, amount: 0 }, "amount"],
    ["three decimals", { ...ok, amount: 1.234 }, "amount"],
    ["three decimals as text", { ...ok, amount: "1.234" }, "amount"],
    ["above max", { ...ok, amount: 1_000_000.01 }, "amount"],
    ["huge", { ...ok, amount: 1e300 }, "amount"],
    ["not a decimal", { ...ok, amount: "12abc" }, "amount"],
    ["operator object", { ...ok, amount: { $gt: 0 } }, "amount"],
    ["operator userId", { ...ok, userId: { $ne: null } }, "userId"],
    ["short userId", { ...ok, userId: "ab" }, "userId"],
    ["bad userId chars", { ...ok, userId: "user 1" }, "userId"],
    ["lower-case currency", { ...ok, currency: "usd" }, "currency"],
    ["unknown currency", { ...ok, currency: "JPY" }, "currency"],
    ["long description", { ...ok, description: "x".repeat(501) }, "description"],
    [
      "too many metadata keys",
      { ...ok, metadata: Object.fromEntries([...Array(11)].map((_, i) => [`k${i}`, i])) },
      "metadata"
    ],
    ["nested metadata", { ...ok, metadata: { a: { b: 1 } } }, "metadata.a"],
    ["missing amount", { userId: "user_001" }, "amount"],
    ["array body", [ok], "body"],
    ["null body", null, "body"]
  ]
  for (const [name, body, field] of bad) {
    it(`rejects ${name}`, () => {
      const result = parsePayoutRequest(body, limits)
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) expect(result.left.details.map((d) => d.field)).toContain(field)
    })
  }
})

describe("validation details", () => {
  it("say once per field what is wrong, in words, not schema internals", () => {
    const result = parsePayoutRequest(
      { userId: "user_001", amount: { $gt: 0 }, currency: "XYZ", description: 5, metadata: { a: { b: 1 } } },
      limits
    )
    expect(Either.isLeft(result) && result.left.details).toEqual([
      { field: "amount", message: 'amount must be a positive decimal: a JSON number or a string like "100.50"' },
      { field: "currency", message: "currency must be one of USD, EUR, GBP, INR" },
      { field: "description", message: "description must be a string of at most 500 characters" },
      { field: "metadata.a", message: "metadata values must be strings of at most 500 characters, numbers or booleans" }
    ])
    const missing = parsePayoutRequest({ amount: 1 }, limits)
    expect(Either.isLeft(missing) && missing.left.details).toEqual([{ field: "userId", message: "userId is required" }])
    const notAnObject = parsePayoutRequest("pay me", limits)
    expect(Either.isLeft(notAnObject) && notAnObject.left.details).toEqual([
      { field: "body", message: "the body must be a JSON object" }
    ])
  })
})
