import { Either, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Ledger, UserDetail, UserList } from "../../src/http/api/schemas.js"
import { admin, fundedUser, type Server, startServer } from "./harness.js"

let server: Server
let root: string
let reader: string
let other: string
const READER = "reads_rosa"
const OTHER = "reads_otto"

beforeAll(async () => {
  server = await startServer()
  root = await server.token(admin)
  reader = await fundedUser(server, READER, "100.00")
  other = await fundedUser(server, OTHER, "40.00")
})
afterAll(() => server.stop())

const get = (path: string, token = root) => server.request("GET", path, { token })

/** Every row of a paged list, following nextCursor; checks that no page repeats a row. */
const walk = async (path: string, rows: string, id: (row: Record<string, unknown>) => string, token = root) => {
  const seen: Array<string> = []
  let cursor = ""
  for (let pages = 0; pages < 50; pages++) {
    const sep = path.includes("?") ? "&" : "?"
    const r = await get(`${path}${sep}cursor=${encodeURIComponent(cursor)}`, token)
    expect(r.status).toBe(200)
    const page = r.json[rows] as Array<Record<string, unknown>>
    expect(r.json.count).toBe(page.length)
    seen.push(...page.map(id))
    if (r.json.nextCursor === null) break
    cursor = String(r.json.nextCursor)
  }
  expect(new Set(seen).size).toBe(seen.length)
  return seen
}

const pay = async (token: string, userId: string, amount: string, metadata: Record<string, string> = {}) => {
  const r = await server.request("POST", "/api/payout", { token, body: { userId, amount, metadata } })
  expect(r.status).toBe(202)
  return String(r.json.transactionId)
}

describe("admin reads: auth", () => {
  it("a user token gets 403 on every admin read; no token 401", async () => {
    for (const path of ["/api/admin/users", `/api/admin/users/${READER}`, "/api/admin/payouts"]) {
      const r = await get(path, reader)
      expect([path, r.status, r.json.code]).toEqual([path, 403, "FORBIDDEN"])
      expect((await server.request("GET", path)).status).toBe(401)
    }
  })

  it("a ledger is its owner's or an admin's: another user gets 403", async () => {
    const r = await get(`/api/payout/user/${READER}/ledger`, other)
    expect([r.status, r.json.code]).toEqual([403, "FORBIDDEN"])
    expect((await get(`/api/payout/user/${READER}/ledger`, reader)).status).toBe(200)
    expect((await get(`/api/payout/user/${READER}/ledger`)).status).toBe(200)
    const missing = await get("/api/payout/user/nobody_here/ledger")
    expect([missing.status, missing.json.code]).toEqual([404, "USER_NOT_FOUND"])
  })
})

describe("GET /api/payout/user/:userId/ledger", () => {
  it("postings oldest first with the balance after each, as decimals, paged", async () => {
    const id = await pay(reader, READER, "20.25")
    await server.waitForEvent(id, "PAYOUT_COMPLETED")
    const failed = await pay(reader, READER, "5.00", { simulate: "fail" })
    await server.waitForEvent(failed, "PAYOUT_FAILED")
    const all = await get(`/api/payout/user/${READER}/ledger?limit=100`, reader)
    expect(all.json).toMatchObject({ success: true, userId: READER, currency: "USD", count: 5, nextCursor: null })
    const rows = (all.json.entries as Array<Record<string, unknown>>).map((e) => [
      e.seq,
      e.kind,
      e.amount,
      e.transactionId,
      e.balanceAfter
    ])
    expect(rows).toEqual([
      [1, "FUND", 100, null, { available: 100, held: 0, paidOut: 0 }],
      [2, "RESERVE", 20.25, id, { available: 79.75, held: 20.25, paidOut: 0 }],
      [3, "SETTLE", 20.25, id, { available: 79.75, held: 0, paidOut: 20.25 }],
      [4, "RESERVE", 5, failed, { available: 74.75, held: 5, paidOut: 20.25 }],
      [5, "RELEASE", 5, failed, { available: 79.75, held: 0, paidOut: 20.25 }]
    ])
    const first = (all.json.entries as Array<Record<string, unknown>>)[0]
    expect(first?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/)
    const paged = await walk(`/api/payout/user/${READER}/ledger?limit=2`, "entries", (e) => String(e.seq), reader)
    expect(paged).toEqual(["1", "2", "3", "4", "5"])
    const eur = await get(`/api/payout/user/${READER}/ledger?currency=EUR`, reader)
    expect([eur.status, eur.json.currency, eur.json.entries]).toEqual([200, "EUR", []])
  })

  it("bad query values are 400 VALIDATION_ERROR", async () => {
    for (const q of ["limit=0", "limit=101", "limit=x", "currency=usd", "cursor=%%%", "cursor=eyJhIjoxfQ"]) {
      const r = await get(`/api/payout/user/${READER}/ledger?${q}`, reader)
      expect([q, r.status, r.json.code]).toEqual([q, 400, "VALIDATION_ERROR"])
    }
  })
})

describe("GET /api/admin/users and /api/admin/users/:userId", () => {
  it("lists users with their balances; filters by status and currency; cursors page without gaps", async () => {
    for (const [userId, currency] of [
      ["reads_lena", "GBP"],
      ["reads_mick", "GBP"],
      ["reads_nora", "USD"]
    ] as const) {
      await server.request("POST", "/api/admin/users", { token: root, body: { userId, currency } })
    }
    await server.request("PATCH", "/api/admin/users/reads_mick", { token: root, body: { status: "suspended" } })
    const all = await walk("/api/admin/users?limit=2", "users", (u) => String(u.userId))
    expect(all).toEqual([...all].sort())
    expect(all).toEqual(expect.arrayContaining(["reads_lena", "reads_mick", "reads_nora", READER, OTHER]))
    expect(await walk("/api/admin/users?limit=1&currency=GBP", "users", (u) => String(u.userId))).toEqual([
      "reads_lena",
      "reads_mick"
    ])
    expect(await walk("/api/admin/users?currency=GBP&status=active", "users", (u) => String(u.userId))).toEqual([
      "reads_lena"
    ])
    const suspended = await walk("/api/admin/users?status=suspended", "users", (u) => String(u.userId))
    expect(suspended).toEqual(["reads_mick"])

    const one = await get(`/api/admin/users/${OTHER}`)
    expect(one.status).toBe(200)
    expect(one.json.user).toMatchObject({
      userId: OTHER,
      status: "active",
      currency: "USD",
      createdAt: expect.any(String),
      accounts: [{ currency: "USD", available: 40, held: 0, paidOut: 0 }]
    })
    const missing = await get("/api/admin/users/nobody_here")
    expect([missing.status, missing.json.success, missing.json.code]).toEqual([404, false, "USER_NOT_FOUND"])
    expect((await get("/api/admin/users/no")).status).toBe(400)
  })

  it("bad query values are 400 VALIDATION_ERROR", async () => {
    for (const q of ["status=gone", "currency=XYZ", "limit=0", "cursor=eyJhIjoxfQ"]) {
      const r = await get(`/api/admin/users?${q}`)
      expect([q, r.status, r.json.code]).toEqual([q, 400, "VALIDATION_ERROR"])
    }
  })
})

describe("GET /api/admin/payouts", () => {
  it("every user's payouts newest first; filters by status, userId and creation time; cursors", async () => {
    const from = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 5))
    const ids = [
      await pay(other, OTHER, "1.00"),
      await pay(reader, READER, "2.00"),
      await pay(other, OTHER, "3.00", { simulate: "fail" })
    ]
    await server.waitForEvent(ids[2] ?? "", "PAYOUT_FAILED")
    await new Promise((r) => setTimeout(r, 5))
    const to = new Date().toISOString()
    const window = `createdAfter=${encodeURIComponent(from)}&createdBefore=${encodeURIComponent(to)}`
    const id = (t: Record<string, unknown>) => String(t.transactionId)
    const listed = await walk(`/api/admin/payouts?limit=1&${window}`, "transactions", id)
    expect(new Set(listed)).toEqual(new Set(ids))
    const times = await get(`/api/admin/payouts?${window}`)
    const created = (times.json.transactions as Array<Record<string, unknown>>).map((t) => String(t.createdAt))
    expect(created).toEqual([...created].sort().reverse())
    expect(new Set(await walk(`/api/admin/payouts?limit=1&${window}&userId=${OTHER}`, "transactions", id))).toEqual(
      new Set([ids[0], ids[2]])
    )
    expect(await walk(`/api/admin/payouts?${window}&status=failed`, "transactions", id)).toEqual([ids[2]])
    expect(await walk(`/api/admin/payouts?createdBefore=${encodeURIComponent(from)}`, "transactions", id)).not.toEqual(
      expect.arrayContaining([ids[0]])
    )
    // a zone other than Z means the same instant
    const plusOne = new Date(Date.parse(from) + 3_600_000).toISOString().replace("Z", "+01:00")
    const shifted = await walk(`/api/admin/payouts?createdAfter=${encodeURIComponent(plusOne)}`, "transactions", id)
    expect(shifted).toEqual(expect.arrayContaining(ids))
  })

  it("bad query values are 400 VALIDATION_ERROR naming the field", async () => {
    for (const [q, field] of [
      ["createdAfter=yesterday", "createdAfter"],
      ["createdAfter=2026-12-01T00:00:00", "createdAfter"],
      ["createdBefore=2026-13-01T00:00:00Z", "createdBefore"],
      ["status=pending", "status"],
      ["userId=a", "userId"],
      ["limit=101", "limit"],
      ["cursor=abc", "cursor"]
    ] as const) {
      const r = await get(`/api/admin/payouts?${q}`)
      expect([q, r.status, r.json.code]).toEqual([q, 400, "VALIDATION_ERROR"])
      const details = r.json.details as Array<{ field: string; message: string }>
      expect(details.map((d) => d.field)).toContain(field)
    }
  })

  it("the OpenAPI document has every new endpoint with a summary, and its examples work", async () => {
    type Parameter = { name: string; in: string; schema: { examples?: Array<unknown> } }
    const doc = (await server.request("GET", "/api/openapi.json")).json as {
      paths: Record<string, Record<string, { summary?: string; parameters?: Array<Parameter> }>>
      components: { schemas: Record<string, { examples?: Array<unknown> }> }
    }
    for (const path of [
      "/api/admin/users",
      "/api/admin/users/{userId}",
      "/api/admin/payouts",
      "/api/payout/user/{userId}/ledger"
    ]) {
      const op = doc.paths[path]?.get
      expect([path, typeof op?.summary]).toEqual([path, "string"])
      // every parameter's example, sent as is, is a request the API accepts
      let url = path
      const query: Array<string> = []
      for (const p of op?.parameters ?? []) {
        const example = p.schema.examples?.[0]
        if (example === undefined) continue
        if (p.in === "path") url = url.replace(`{${p.name}}`, String(example))
        else query.push(`${p.name}=${encodeURIComponent(String(example))}`)
      }
      const r = await get(`${url}?${query.join("&")}`)
      expect([url, query, r.status]).toEqual([url, query, 200])
    }
    // the response examples are answers the contract decodes
    const decodes: Record<string, (u: unknown) => boolean> = {
      UserList: (u) => Either.isRight(Schema.decodeUnknownEither(UserList)(u)),
      UserDetail: (u) => Either.isRight(Schema.decodeUnknownEither(UserDetail)(u)),
      Ledger: (u) => Either.isRight(Schema.decodeUnknownEither(Ledger)(u))
    }
    for (const [name, decodes_] of Object.entries(decodes)) {
      const examples = doc.components.schemas[name]?.examples ?? []
      expect(examples.length).toBeGreaterThan(0)
      for (const e of examples) expect([name, decodes_(e)]).toEqual([name, true])
    }
    const example = doc.components.schemas.UserList?.examples?.[0] as { nextCursor: string } | undefined
    const cursor = example?.nextCursor ?? "missing example"
    expect((await get(`/api/admin/users?cursor=${cursor}`)).status).toBe(200)
  })
})
