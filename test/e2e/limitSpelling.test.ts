import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Server, startServer, user } from "./harness.js"
import { rawRequest } from "./raw.js"

let server: Server
let token: string

beforeAll(async () => {
  server = await startServer({ config: { RATE_LIMIT_MAX_REQUESTS: "1000", RATE_LIMIT_WINDOW_MS: "60000" } })
  token = await server.token(user("user_001"))
})
afterAll(() => server.stop())

const get = (path: string) => rawRequest(server.port, "GET", path, { authorization: `Bearer ${token}` })
const remaining = (headers: Record<string, unknown>) => Number(headers["ratelimit-remaining"])

describe("the per-IP limit decides on the path the router sees, not on how it is spelled", () => {
  const balance = "payout/user/user_001/balance"
  // Each one is routed to an endpoint (200), so each must be counted.
  const spellings = [
    `/api/${balance}`,
    `/API/${balance}`,
    `/Api/Payout/User/user_001/Balance`,
    `//api/${balance}`,
    `/api//${balance}`,
    `/%61pi/${balance}`,
    `/%41PI/${balance}`,
    `/api/${balance}/`,
    `/api;/${balance}`, // the router cuts at ';': this is the index, GET /api
    `http://x/api/${balance}`,
    `https://x//API/${balance}`
  ]

  it("counts every spelling of a routed path", async () => {
    let before = remaining((await get(`/api/${balance}`)).headers)
    for (const path of spellings) {
      const r = await get(path)
      expect([path, r.status]).toEqual([path, 200])
      expect([path, remaining(r.headers)]).toEqual([path, before - 1])
      before -= 1
    }
  })

  it("never counts health, metrics and the docs, however spelled", async () => {
    const before = remaining((await get("/api")).headers)
    for (const path of [
      "/api/health",
      "/API/HEALTH",
      "//api/health/live/",
      "/%61pi/health/ready",
      "/metrics",
      "/METRICS",
      "/api/docs",
      "/API/Docs",
      "/api/openapi.json",
      "http://x/api/openapi.json"
    ]) {
      const r = await get(path)
      expect([path, r.status]).toEqual([path, 200])
      expect([path, r.headers["ratelimit-remaining"]]).toEqual([path, undefined])
    }
    expect(remaining((await get("/api")).headers)).toBe(before - 1)
  })

  it("counts unknown paths, in /api and out of it", async () => {
    const before = remaining((await get("/api")).headers)
    for (const path of ["/api/nowhere", "/API/health/../payout", "/favicon.ico", "/api%2Fhealth"]) {
      const r = await get(path)
      expect([path, r.status]).toEqual([path, 404])
    }
    expect(remaining((await get("/api")).headers)).toBe(before - 5)
  })
})

describe("the limit itself, reached with odd spellings", () => {
  it("answers 429 once the spellings together pass the limit", async () => {
    const small = await startServer({ config: { RATE_LIMIT_MAX_REQUESTS: "2" } })
    try {
      expect((await rawRequest(small.port, "GET", "/API")).status).toBe(200)
      expect((await rawRequest(small.port, "GET", "//api")).status).toBe(200)
      const limited = await rawRequest(small.port, "GET", "http://x/%61pi")
      expect(limited.status).toBe(429)
      expect(JSON.parse(limited.text)).toMatchObject({ success: false, code: "RATE_LIMIT_EXCEEDED" })
    } finally {
      await small.stop()
    }
  })
})
