import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { admin, type Server, startServer, user } from "./harness.js"

let server: Server
let token: string

beforeAll(async () => {
  server = await startServer()
  token = await server.token(user("user_001"))
})
afterAll(() => server.stop())

const money = async () => {
  const r = await server.request("GET", "/api/payout/user/user_001/balance", { token })
  return { available: r.json.available, held: r.json.held }
}

const valid = { userId: "user_001", amount: 10, currency: "USD" }

const badBodies: ReadonlyArray<readonly [string, unknown]> = [
  ["negative amount", { ...valid, amount: -5 }],
  ["zero amount", { ...valid, amount: 0 }],
  ["three decimals", { ...valid, amount: 10.005 }],
  ["three decimals as a string", { ...valid, amount: "10.005" }],
  ["huge amount", { ...valid, amount: 1e30 }],
  ["above MAX_PAYOUT_AMOUNT", { ...valid, amount: 1_000_000.01 }],
  ["below MIN_PAYOUT_AMOUNT", { ...valid, amount: 0.001 }],
  ["exponent string", { ...valid, amount: "1e3" }],
  ["hex string", { ...valid, amount: "0x10" }],
  ["empty string", { ...valid, amount: "" }],
  ["signed string", { ...valid, amount: "+10" }],
  ["NaN-ish string", { ...valid, amount: "NaN" }],
  ["operator object", { ...valid, amount: { $gt: 0 } }],
  ["operator object as userId", { ...valid, userId: { $ne: null } }],
  ["amount as array", { ...valid, amount: [10] }],
  ["amount as boolean", { ...valid, amount: true }],
  ["amount missing", { userId: "user_001" }],
  ["null amount", { ...valid, amount: null }],
  ["userId too short", { ...valid, userId: "ab" }],
  ["userId with bad characters", { ...valid, userId: "user 001" }],
  ["lower-case currency", { ...valid, currency: "usd" }],
  ["unknown currency", { ...valid, currency: "BTC" }],
  ["description too long", { ...valid, description: "x".repeat(501) }],
  ["description not a string", { ...valid, description: 42 }],
  [
    "metadata with too many keys",
    { ...valid, metadata: Object.fromEntries([...Array(11).keys()].map((i) => [`k${i}`, i])) }
  ],
  ["metadata with an object value", { ...valid, metadata: { nested: { a: 1 } } }],
  ["metadata as an array", { ...valid, metadata: ["a"] }],
  ["body is an array", [valid]],
  ["body is a string", "hello"],
  ["body is null", null]
]

describe("POST /api/payout rejects bad bodies with 400 and moves no money", () => {
  it.each(badBodies)("%s", async (_name, body) => {
    const before = await money()
    const r = await server.request("POST", "/api/payout", { token, body })
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ success: false, code: "VALIDATION_ERROR", error: expect.any(String) })
    expect(Array.isArray(r.json.details)).toBe(true)
    expect(Object.keys(r.json)).not.toContain("_tag")
    expect(await money()).toEqual(before)
  })

  const long = "k".repeat(101)
  /** How the answer names a key too long to echo: its first 100 characters. */
  const named = `${long.slice(0, 100)}…`
  const tenKeys = [...Array(10).keys()].map((i) => `"k${i}": ${i}`).join(", ")
  it.each([
    ["a metadata key over 100 characters", `{"${long}": 1}`, `metadata.${named}`],
    ["metadata.__proto__", '{"__proto__": "x"}', "metadata.__proto__"],
    ["10 metadata keys and a long one", `{${tenKeys}, "${long}": 1}`, `metadata.${named}`],
    ["10 metadata keys and __proto__", `{${tenKeys}, "__proto__": 1}`, "metadata.__proto__"],
    ["a metadata number beyond a double", '{"n": 1e400}', "metadata.n"]
  ])("%s: 400 naming the field, nothing silently dropped", async (_name, metadata, field) => {
    const before = await money()
    const raw = `{"userId": "user_001", "amount": 1, "metadata": ${metadata}}`
    const r = await server.request("POST", "/api/payout", { token, raw })
    expect([r.status, r.json.code]).toEqual([400, "VALIDATION_ERROR"])
    expect((r.json.details as ReadonlyArray<{ field: string }>).map((d) => d.field)).toEqual([field])
    expect(await money()).toEqual(before)
  })

  it("a 15,000-character metadata key is named, not echoed whole", async () => {
    const raw = `{"userId": "user_001", "amount": 1, "metadata": {"${"k".repeat(15_000)}": 1}}`
    const r = await server.request("POST", "/api/payout", { token, raw })
    expect(r.status).toBe(400)
    expect(JSON.stringify(r.json).length).toBeLessThan(1_000)
  })

  it("metadata is stored as sent: 10 keys of up to 100 characters", async () => {
    const metadata = Object.fromEntries([...Array(9).keys()].map((i) => [`k${i}`, i]))
    const sent = { ...metadata, ["k".repeat(100)]: "v" }
    const r = await server.request("POST", "/api/payout", { token, body: { ...valid, amount: 1, metadata: sent } })
    expect(r.status).toBe(202)
    const t = await server.request("GET", `/api/payout/${String(r.json.transactionId)}`, { token })
    expect((t.json.transaction as { metadata: unknown }).metadata).toEqual(sent)
    // settled before the next test reads the balance it compares against
    await server.waitForEvent(String(r.json.transactionId), "PAYOUT_COMPLETED")
  })

  it("malformed JSON", async () => {
    const r = await server.request("POST", "/api/payout", { token, raw: '{"userId": "user_001", "amount": 1' })
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ success: false, code: "VALIDATION_ERROR", error: "Malformed JSON body" })
  })

  it.each([
    ["text/plain", JSON.stringify(valid)],
    ["application/x-www-form-urlencoded", "userId=user_001&amount=10"],
    ["multipart/form-data; boundary=x", "--x--"]
  ])("wrong content type %s", async (type, raw) => {
    const before = await money()
    const r = await server.request("POST", "/api/payout", { token, raw, headers: { "content-type": type } })
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ success: false, code: "VALIDATION_ERROR" })
    expect(await money()).toEqual(before)
  })

  it("an oversize body is refused with 413 in the error shape", async () => {
    const r = await server.request("POST", "/api/payout", {
      token,
      body: { ...valid, description: "x".repeat(20_000) }
    })
    expect(r.status).toBe(413)
    expect(r.json).toMatchObject({ success: false, code: "PAYLOAD_TOO_LARGE" })
  })

  it("exact decimals are accepted, up to MAX_PAYOUT_AMOUNT", async () => {
    for (const _ of [1, 2]) {
      const funded = await server.request("POST", "/api/admin/users/user_001/credit", {
        token: await server.token(admin),
        body: { amount: "1000000", currency: "USD" }
      })
      expect(funded.status).toBe(200)
    }
    for (const amount of [0.01, "0.10", 1_000_000, "999999.99"]) {
      const before = await money()
      const r = await server.request("POST", "/api/payout", { token, body: { ...valid, amount } })
      expect(r.status).toBe(202)
      const after = await money()
      expect(Math.round((Number(before.available) - Number(after.available)) * 100)).toBe(
        Math.round(Number(amount) * 100)
      )
      await server.waitForEvent(String(r.json.transactionId), "PAYOUT_COMPLETED")
    }
  })

  it("unknown keys are ignored", async () => {
    const r = await server.request("POST", "/api/payout", { token, body: { ...valid, amount: 1, extra: "x" } })
    expect(r.status).toBe(202)
    await server.waitForEvent(String(r.json.transactionId), "PAYOUT_COMPLETED")
  })

  it.each([
    ["a non-TXN transaction id", "/api/payout/not-a-txn"],
    ["a lower-case TXN id", "/api/payout/txn_abc_0123456789abcdef"],
    ["a non-TXN audit id", "/api/payout/123/audit"],
    ["a bad userId in the path", "/api/payout/user/a/balance"],
    ["limit 0", "/api/payout/user/user_001/history?limit=0"],
    ["limit 101", "/api/payout/user/user_001/history?limit=101"],
    ["limit not a number", "/api/payout/user/user_001/history?limit=ten"],
    ["limit not an integer", "/api/payout/user/user_001/history?limit=1.5"],
    ["an unknown status", "/api/payout/user/user_001/history?status=pending"],
    ["a forged cursor", "/api/payout/user/user_001/history?cursor=eyJhIjoxfQ"],
    ["a cursor that is not base64", "/api/payout/user/user_001/history?cursor=%%%"],
    ["an unknown balance currency", "/api/payout/user/user_001/balance?currency=BTC"]
  ])("GET with %s is a 400 VALIDATION_ERROR", async (_name, path) => {
    const r = await server.request("GET", path, { token })
    expect(r.status).toBe(400)
    expect(r.json).toMatchObject({ success: false, code: "VALIDATION_ERROR", details: expect.any(Array) })
    const details = r.json.details as ReadonlyArray<{ field: string; message: string }>
    // one detail per field, in words
    expect(new Set(details.map((d) => d.field)).size).toBe(details.length)
    for (const d of details) expect(d.message).not.toMatch(/Expected undefined|Brand<|readonly /)
  })
})
