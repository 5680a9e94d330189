import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Server, startServer, user } from "./harness.js"

let server: Server
let token: string

beforeAll(async () => {
  // the first retry comes well after both first attempts failed: a retry that succeeds in between closes the count
  server = await startServer({
    config: { RAIL_BREAKER_THRESHOLD: "2", RAIL_BREAKER_COOLDOWN_MS: "1500", RETRY_DELAY_MS: "1000" }
  })
  token = await server.token(user("user_001"))
})
afterAll(() => server.stop())

const detailed = () => server.request("GET", "/api/health/detailed")

describe("the rail circuit breaker on npm start", () => {
  it("opens on transient rail failures, shows in health and /metrics, then lets the payouts through", async () => {
    expect((await detailed()).json).toMatchObject({ status: "healthy", circuits: { rail: "closed" } })
    const ids: Array<string> = []
    for (let i = 0; i < 2; i++) {
      // `transient_fail` fails the first attempt only
      const r = await server.request("POST", "/api/payout", {
        token,
        body: { userId: "user_001", amount: 1, metadata: { simulate: "transient_fail" } }
      })
      expect(r.status).toBe(202)
      ids.push(String(r.json.transactionId))
    }
    const deadline = Date.now() + 5_000
    let open = await detailed()
    while ((open.json.circuits as { rail: string }).rail !== "open" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20))
      open = await detailed()
    }
    // degraded, but still ready: an open breaker is no reason to restart the process
    expect([open.status, open.json.status, open.json.circuits]).toEqual([200, "degraded", { rail: "open" }])
    expect((await server.request("GET", "/api/health/ready")).status).toBe(200)
    expect(String((await server.request("GET", "/metrics")).body)).toMatch(/^swiftpay_rail_circuit_state 2$/m)

    // the retries wait out the cool-down, then the trial call closes it and both complete
    for (const id of ids) await server.waitForEvent(id, "PAYOUT_COMPLETED", 10_000)
    expect((await detailed()).json).toMatchObject({ status: "healthy", circuits: { rail: "closed" } })
    const metrics = String((await server.request("GET", "/metrics")).body)
    expect(metrics).toMatch(/^swiftpay_rail_circuit_state 0$/m)
    expect(metrics).toMatch(/^swiftpay_rail_breaker_deferred_total [1-9]\d*$/m)
  })
})
