import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { inCurrencyOf, parsePayoutRequest, scheduleIssue } from "../../src/domain/index.js"

const limits = { minMinor: 1, maxMinor: 100_000_000 }
const ok = { userId: "user_001", amount: 100.5 }

describe("parsePayoutRequest", () => {
  it("accepts a good body with defaults (no currency: the user's own, decided once the user is read)", () => {
    expect(parsePayoutRequest({ ...ok, extra: "ignored" }, limits)).toEqual(
      Either.right({
        userId: "user_001",
        amount: 10_050,
        currency: null,
        description: null,
        metadata: {},
        scheduledFor: null
      })
    )
    const at = Either.map(
      parsePayoutRequest({ ...ok, scheduledFor: "2026-12-24T09:00:00+01:00" }, limits),
      (r) => r.scheduledFor
    )
    expect(at).toEqual(Either.right(Date.parse("2026-12-24T08:00:00Z")))
    const input = Either.getOrThrow(parsePayoutRequest(ok, limits))
    expect(inCurrencyOf(input, "EUR").currency).toBe("EUR")
    expect(inCurrencyOf({ ...input, currency: "GBP" }, "EUR").currency).toBe("GBP")
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
    ["scheduledFor without a time zone", { ...ok, scheduledFor: "2026-12-24T09:00:00" }, "scheduledFor"],
    ["scheduledFor a date only", { ...ok, scheduledFor: "2026-12-24" }, "scheduledFor"],
    ["scheduledFor not a date", { ...ok, scheduledFor: "tomorrow" }, "scheduledFor"],
    ["scheduledFor impossible", { ...ok, scheduledFor: "2026-02-30T25:00:00Z" }, "scheduledFor"],
    ["scheduledFor a number", { ...ok, scheduledFor: 1_800_000_000_000 }, "scheduledFor"],
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

describe("scheduleIssue", () => {
  const now = Date.parse("2026-12-03T00:00:00Z")
  const day = 86_400_000
  it("a schedule must be in the future and at most the allowed days ahead", () => {
    expect(scheduleIssue(null, now, 90 * day)).toBeNull()
    expect(scheduleIssue(now + 1, now, 90 * day)).toBeNull()
    expect(scheduleIssue(now + 90 * day, now, 90 * day)).toBeNull()
    expect(scheduleIssue(now, now, 90 * day)).toBe("scheduledFor must be in the future")
    expect(scheduleIssue(now + 90 * day + 1, now, 90 * day)).toBe("scheduledFor must be at most 90 days ahead")
  })
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

describe("metadata the API would change is refused, never dropped", () => {
  const fieldsOf = (metadataJson: string) => {
    const result = parsePayoutRequest({ ...ok, metadata: JSON.parse(metadataJson) }, limits)
    return Either.isLeft(result) ? result.left.details.map((d) => d.field) : "accepted"
  }
  const tenKeys = Object.fromEntries([...Array(10)].map((_, i) => [`k${i}`, i]))
  const long = "k".repeat(101)
  /** How the answer names a key too long to echo: its first 100 characters. */
  const named = `${long.slice(0, 100)}…`

  it.each([
    ["a key over 100 characters", JSON.stringify({ [long]: 1 }), `metadata.${named}`],
    ["__proto__", '{"__proto__": "x"}', "metadata.__proto__"],
    ["__proto__ with an object", '{"a": 1, "__proto__": {"b": 2}}', "metadata.__proto__"],
    ["10 keys and a long one (counted as sent)", JSON.stringify({ ...tenKeys, [long]: 1 }), `metadata.${named}`],
    ["10 keys and __proto__", JSON.stringify(tenKeys).replace("{", '{"__proto__": 1, '), "metadata.__proto__"],
    ["a number JSON cannot hold (1e400)", '{"big": 1e400}', "metadata.big"]
  ])("%s is a 400 naming the field", (_name, json, field) => {
    expect(fieldsOf(json)).toEqual([field])
  })

  it("keeps every key it accepts, exactly as sent", () => {
    const eight = Object.fromEntries(Object.entries(tenKeys).slice(0, 8))
    const edge = { ...eight, k0: "x".repeat(500), ["k".repeat(100)]: true, constructor: "c" }
    const result = parsePayoutRequest({ ...ok, metadata: edge }, limits)
    expect(Either.map(result, (r) => r.metadata)).toEqual(Either.right(edge))
    expect(Either.map(result, (r) => Object.keys(r.metadata))).toEqual(Either.right(Object.keys(edge)))
  })
})
