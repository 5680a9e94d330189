import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { flakyPorts, type StoreSwitch } from "./flakyStore.js"
import { type Server, startServer, user } from "./harness.js"

const control: StoreSwitch = { mode: "up" }
let server: Server
let token: string

beforeAll(async () => {
  server = await startServer({ ports: flakyPorts(control) })
  token = await server.token(user("user_001"))
})
afterAll(() => server.stop())

const balance = () => server.request("GET", "/api/payout/user/user_001/balance", { token })

describe("a dependency that does not answer", () => {
  it("503 SERVICE_UNAVAILABLE and no money moved; health reports it", async () => {
    const before = (await balance()).json
    control.mode = "down"
    const r = await server.request("POST", "/api/payout", { token, body: { userId: "user_001", amount: 10 } })
    expect(r.status).toBe(503)
    expect(r.json).toEqual({ success: false, error: expect.any(String), code: "SERVICE_UNAVAILABLE" })
    expect(JSON.stringify(r.json)).not.toMatch(/mongo/i)

    const detailed = await server.request("GET", "/api/health/detailed")
    expect(detailed.status).toBe(503)
    expect(detailed.json).toMatchObject({
      success: false,
      status: "degraded",
      dependencies: { store: { status: "down", latencyMs: expect.any(Number) }, queue: { status: "up" } }
    })
    const ready = await server.request("GET", "/api/health/ready")
    expect([ready.status, ready.json]).toEqual([503, { success: false, ready: false }])
    expect((await server.request("GET", "/api/health/live")).status).toBe(200)

    control.mode = "up"
    expect((await balance()).json).toEqual(before)
    expect((await server.request("GET", "/api/health/ready")).json).toEqual({ success: true, ready: true })
  })

  it("a defect is a 500 INTERNAL_ERROR that shows nothing of it", async () => {
    control.mode = "die"
    const r = await server.request("POST", "/api/payout", { token, body: { userId: "user_001", amount: 10 } })
    control.mode = "up"
    expect(r.status).toBe(500)
    expect(r.json).toEqual({ success: false, error: "Internal server error", code: "INTERNAL_ERROR" })
    expect(JSON.stringify(r.body)).not.toMatch(/hunter2|Mongo|stack|at /)
  })
})
