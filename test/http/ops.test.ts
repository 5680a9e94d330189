import { ConfigProvider, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { HealthChecks, portProbes } from "../../src/http/HealthChecks.js"
import * as MemoryQueue from "../../src/ports/memory/payoutQueue.js"
import { boundPort } from "../../src/runtime/httpServer.js"
import * as OpsHttp from "../../src/runtime/opsHttp.js"
import { parseRawResponse, rawExchange } from "../e2e/raw.js"

const layer = OpsHttp.layer({ port: 0 }).pipe(
  Layer.provide(HealthChecks.layer({ queue: portProbes.queue })),
  Layer.provide(MemoryQueue.layer({ redeliveryDelayMs: 1_000, maxDeliveries: 5 })),
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ LOG_LEVEL: "ERROR" })))
)

let runtime: ManagedRuntime.ManagedRuntime<Layer.Layer.Success<typeof layer>, Layer.Layer.Error<typeof layer>>
let base: string

beforeAll(async () => {
  runtime = ManagedRuntime.make(layer)
  base = `http://127.0.0.1:${await runtime.runPromise(boundPort)}`
})
afterAll(() => runtime.dispose())

describe("the worker's ops server", () => {
  it("serves health with the worker's checks, and metrics", async () => {
    const detailed = await fetch(`${base}/api/health/detailed`)
    expect(detailed.status).toBe(200)
    expect(await detailed.json()).toMatchObject({ status: "healthy", dependencies: { queue: { status: "up" } } })
    const metrics = await fetch(`${base}/metrics`)
    expect(await metrics.text()).toMatch(/swiftpay_queue_messages\{state="ready"\} 0/)
  })

  it("has no API routes", async () => {
    const r = await fetch(`${base}/api/payout`, { method: "POST" })
    expect(r.status).toBe(404)
    expect(await r.json()).toEqual({ success: false, error: "Route not found", code: "NOT_FOUND", path: "/api/payout" })
  })
  it("answers a request node cannot parse in the error shape, with the security headers", async () => {
    const reply = parseRawResponse(await rawExchange(Number(new URL(base).port), "NOT HTTP\r\n\r\n"))
    expect(reply.status).toBe(400)
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff")
    expect(JSON.parse(reply.body)).toMatchObject({ success: false, code: "MALFORMED_REQUEST" })
    const live = await fetch(`${base}/api/health/live`)
    expect(live.headers.get("x-frame-options")).toBe("DENY")
  })
})
