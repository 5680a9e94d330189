import { SignJWT } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DEVELOPMENT_SECRET } from "../../src/settings.js"
import { type Server, startServer } from "./harness.js"

let server: Server

beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.stop())

const DAY = 86_400
const now = () => Math.floor(Date.now() / 1000)
const expiringAt = (exp: number) =>
  new SignJWT({ sub: "user_001", exp })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(DEVELOPMENT_SECRET))

const balanceWith = async (exp: number) =>
  server.request("GET", "/api/payout/user/user_001/balance", { token: await expiringAt(exp) })

describe("maximum token lifetime (JWT_MAX_TTL_SECONDS, default 24 h)", () => {
  it("accepts a token that expires within the maximum", async () => {
    expect((await balanceWith(now() + DAY - 60)).status).toBe(200)
  })

  it.each([
    ["an hour past the maximum", () => now() + DAY + 3600],
    ["exp = 1e308", () => 1e308]
  ])("401 UNAUTHORIZED for a token that expires %s", async (_name, exp) => {
    const r = await balanceWith(exp())
    expect(r.status).toBe(401)
    expect(r.json).toEqual({ success: false, error: "Invalid or expired token", code: "UNAUTHORIZED" })
  })
})
