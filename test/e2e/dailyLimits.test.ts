import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { admin, fundedUser, type Server, startServer } from "./harness.js"

let server: Server
let root: string

beforeAll(async () => {
  server = await startServer({
    config: {
      DAILY_PAYOUT_AMOUNT_LIMIT: "USD:30.00",
      DAILY_PAYOUT_COUNT_LIMIT: "3",
      VELOCITY_MAX_PAYOUTS: "6",
      VELOCITY_WINDOW_SECONDS: "60"
    }
  })
  root = await server.token(admin)
})
afterAll(() => server.stop())

const pay = (token: string, userId: string, amount: string, key?: string) =>
  server.request("POST", "/api/payout", {
    token,
    body: { userId, amount },
    ...(key === undefined ? {} : { headers: { "idempotency-key": key } })
  })

const balance = async (token: string, userId: string) =>
  (await server.request("GET", `/api/payout/user/${userId}/balance`, { token })).json

describe("daily payout limits", () => {
  it("the settings' amount limit: 400 LIMIT_EXCEEDED with the limit and what is left, nothing held", async () => {
    const owner = await fundedUser(server, "limit_amy", "100.00")
    expect((await pay(owner, "limit_amy", "25.00")).status).toBe(202)
    const refused = await pay(owner, "limit_amy", "5.01")
    expect(refused.status).toBe(400)
    expect(refused.json).toMatchObject({
      success: false,
      code: "LIMIT_EXCEEDED",
      dailyLimit: { kind: "amount", currency: "USD", max: 30, used: 25, remaining: 5 }
    })
    expect(String(refused.json.error)).toContain("5.00 left today")
    expect((await pay(owner, "limit_amy", "5.00")).status).toBe(202)
    const after = await balance(owner, "limit_amy")
    expect(after).toMatchObject({ available: 70 })
  })

  // (every attempt that reaches the reserve counts for the velocity check, refused ones too: 6 here)
  it("the count limit applies to every currency; an admin's override wins, and null gives the default back", async () => {
    const owner = await fundedUser(server, "limit_bob", "100.00")
    for (let i = 0; i < 3; i++) expect((await pay(owner, "limit_bob", "1.00")).status).toBe(202)
    const fourth = await pay(owner, "limit_bob", "1.00")
    expect([fourth.status, fourth.json.code, fourth.json.dailyLimit]).toEqual([
      400,
      "LIMIT_EXCEEDED",
      { kind: "count", currency: "USD", max: 3, used: 3, remaining: 0 }
    ])
    const raised = await server.request("PATCH", "/api/admin/users/limit_bob", {
      token: root,
      body: { limits: { USD: { count: 4, amount: "50.00" } } }
    })
    expect(raised.status).toBe(200)
    expect(raised.json.user).toMatchObject({ status: "active", limits: { USD: { count: 4, amount: 50 } } })
    expect((await pay(owner, "limit_bob", "1.00")).status).toBe(202)
    expect((await pay(owner, "limit_bob", "1.00")).json.code).toBe("LIMIT_EXCEEDED")
    const dropped = await server.request("PATCH", "/api/admin/users/limit_bob", {
      token: root,
      body: { limits: { USD: { count: null, amount: null } } }
    })
    expect(dropped.json.user).toMatchObject({ limits: {} })
  })

  it("bad limit changes are refused with a clear error; a user may not change its own", async () => {
    const owner = await fundedUser(server, "limit_cat", "10.00")
    const cases: Array<[unknown, string]> = [
      [{ limits: { XYZ: { count: 1 } } }, "keyed by currency"],
      [{ limits: { USD: { count: 0 } } }, "positive integer"],
      [{ limits: { USD: { amount: "-1" } } }, "limit"],
      [{}, "status, limits or both"],
      [{ limits: {} }, "at least one"],
      [JSON.parse('{"limits": {"__proto__": {"count": 1}}}'), "keyed by currency"],
      [{ limits: { USD: {} } }, "amount, count or both"],
      [{ limits: { USD: { ammount: "10.00" } } }, "ammount"]
    ]
    for (const [body, says] of cases) {
      const r = await server.request("PATCH", "/api/admin/users/limit_cat", { token: root, body })
      expect([r.status, r.json.code]).toEqual([400, "VALIDATION_ERROR"])
      expect(JSON.stringify(r.json)).toContain(says)
    }
    const self = await server.request("PATCH", "/api/admin/users/limit_cat", {
      token: owner,
      body: { limits: { USD: { count: 100 } } }
    })
    expect(self.status).toBe(403)
  })
})

describe("velocity check", () => {
  it("more than VELOCITY_MAX_PAYOUTS in the window: 429 VELOCITY_LIMIT with Retry-After; a key's replay is not counted", async () => {
    const owner = await fundedUser(server, "fast_fay", "100.00")
    await server.request("PATCH", "/api/admin/users/fast_fay", {
      token: root,
      body: { limits: { USD: { count: 100 } } }
    })
    const first = await pay(owner, "fast_fay", "1.00", "fay-1")
    for (let i = 0; i < 3; i++) expect((await pay(owner, "fast_fay", "1.00", "fay-1")).json).toEqual(first.json)
    for (let i = 0; i < 5; i++) expect((await pay(owner, "fast_fay", "1.00")).status).toBe(202)
    const refused = await pay(owner, "fast_fay", "1.00")
    expect([refused.status, refused.json.code]).toEqual([429, "VELOCITY_LIMIT"])
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0)
    expect(await balance(owner, "fast_fay")).toMatchObject({ available: 94 })
    const metrics = String((await server.request("GET", "/metrics")).body)
    expect(metrics).toMatch(/^swiftpay_velocity_refusals_total 1$/m)
  })
})
