import { SignJWT } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEVELOPMENT_SECRET } from "../../src/settings.js"
import { type Server, startServer, user } from "./harness.js"

let server: Server

beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.stop())

const key = (secret: string) => new TextEncoder().encode(secret)
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url")
const now = () => Math.floor(Date.now() / 1000)

const signed = (claims: Record<string, unknown>, secret = DEVELOPMENT_SECRET, alg = "HS256") =>
  new SignJWT(claims).setProtectedHeader({ alg }).sign(key(secret))

const balanceWith = (authorization: string | undefined) =>
  server.request("GET", "/api/payout/user/user_001/balance", {
    headers: authorization === undefined ? {} : { authorization }
  })

describe("authentication", () => {
  it("accepts a valid HS256 token", async () => {
    const token = await signed({ sub: "user_001", exp: now() + 60 })
    expect((await balanceWith(`Bearer ${token}`)).status).toBe(200)
  })

  it.each(["bearer", "BEARER", "BeArEr"])("the scheme is case-insensitive (RFC 7235): %s <token>", async (scheme) => {
    const token = await signed({ sub: "user_001", exp: now() + 60 })
    expect((await balanceWith(`${scheme} ${token}`)).status).toBe(200)
    expect((await balanceWith(`${scheme}   ${token}`)).status).toBe(200) // 1*SP
    const admin = await signed({ sub: "admin", role: "admin", exp: now() + 60 })
    const r = await server.request("GET", "/api/admin/reconcile", { headers: { authorization: `${scheme} ${admin}` } })
    expect(r.status).toBe(200)
  })

  it.each([
    ["no Authorization header", async () => undefined],
    ["an empty header", async () => ""],
    ["another scheme", async () => `Basic ${Buffer.from("user_001:pw").toString("base64")}`],
    ["a malformed token", async () => "Bearer not.a.jwt"],
    ["garbage after Bearer", async () => "Bearer ab cd\u00ff"],
    ["an expired token", async () => `Bearer ${await signed({ sub: "user_001", exp: now() - 10 })}`],
    ["a token without exp", async () => `Bearer ${await signed({ sub: "user_001" })}`],
    [
      "a token signed with another key",
      async () => `Bearer ${await signed({ sub: "user_001", exp: now() + 60 }, "another-secret-another-secret-123")}`
    ],
    ["a token without sub", async () => `Bearer ${await signed({ exp: now() + 60 })}`],
    [
      "a token with an unknown role",
      async () => `Bearer ${await signed({ sub: "user_001", role: "root", exp: now() + 60 })}`
    ],
    [
      "alg none",
      async () => `Bearer ${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "user_001", exp: now() + 60 })}.`
    ],
    ["HS512", async () => `Bearer ${await signed({ sub: "user_001", exp: now() + 60 }, DEVELOPMENT_SECRET, "HS512")}`]
  ])("401 UNAUTHORIZED for %s", async (_name, header) => {
    const r = await balanceWith(await header())
    expect(r.status).toBe(401)
    expect(r.json).toEqual({ success: false, error: expect.any(String), code: "UNAUTHORIZED" })
  })

  it("authentication comes before body validation", async () => {
    const r = await server.request("POST", "/api/payout", {
      raw: "{nope",
      headers: { "content-type": "application/json" }
    })
    expect(r.status).toBe(401)
  })

  it("health, metrics, the index and the docs are public", async () => {
    for (const path of [
      "/api/health",
      "/api/health/live",
      "/api/health/ready",
      "/api/health/detailed",
      "/api",
      "/metrics",
      "/api/openapi.json",
      "/api/docs"
    ]) {
      expect([path, (await server.request("GET", path)).status]).toEqual([path, 200])
    }
  })

  it("a user token is not an admin token", async () => {
    const token = await server.token(user("user_001"))
    const r = await server.request("POST", "/api/admin/users/user_001/credit", {
      token,
      body: { amount: 1, currency: "USD" }
    })
    expect([r.status, r.json.code]).toEqual([403, "FORBIDDEN"])
  })
})
