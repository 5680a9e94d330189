/**
 * The issue "Real infrastructure layers", end to end: the gateway and the worker
 * as two separate processes (`tsx src/gateway/main.ts`, `tsx src/worker/main.ts`)
 * on MongoDB (CongoServer unless MONGODB_URI), Redis and RabbitMQ, exporting
 * traces over OTLP/HTTP JSON to a receiver in this process.
 *
 * Part 1: HTTP intake → queue → worker → events over Redis → Socket.IO, money exact.
 * Part 2: the worker is SIGKILLed mid-settlement; a new worker finishes the payout
 * exactly once. Then: one trace across both services; a scheduled payout outlives
 * a SIGKILL of both processes and settles at its time; a simulated bank return
 * survives a worker SIGKILL in its delay; and SIGTERM exits 0.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { api, connectRecorder, type EventRecorder, eventually, type Reply, token } from "./distributed/client.js"
import { isolatedRabbit, type Resource, seed, startMongo } from "./distributed/infra.js"
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from "./distributed/otlpReceiver.js"
import { freePort, kill, type Service, startService, stopWith, waitReady } from "./distributed/processes.js"

const JWT_SECRET = "distributed-test-secret-0123456789abcdef0123456789"
const USER = "user_001"
const SEEDED = 10_000
const TXN = /^TXN_[0-9A-Z]+_[0-9A-F]{16}$/
const READY_MS = 60_000

interface World {
  readonly receiver: OtlpReceiver
  readonly mongo: Resource<{ readonly uri: string; readonly kind: string }>
  readonly rabbit: Resource<{ readonly url: string; readonly isolation: string }>
  readonly gatewayUrl: string
  readonly gateway: Service
  readonly user: (method: "GET" | "POST" | "PATCH", path: string, body?: unknown) => Promise<Reply>
  readonly admin: (method: "GET" | "POST" | "PATCH", path: string, body?: unknown) => Promise<Reply>
  readonly events: EventRecorder
}

let world: World | undefined
/** Every worker process started, current last. */
const workers: Array<Service> = []
/** Every process started (gateway and workers), for the logs and the clean-up even when set-up fails. */
const started: Array<Service> = []
const cleanups: Array<() => Promise<void>> = []
/** The Part 1 payout, whose trace is checked afterwards. */
let firstPayout: string | undefined

const need = (): World => {
  if (world === undefined) throw new Error("the distributed system did not start (see beforeAll)")
  return world
}

const commonEnv = (receiver: OtlpReceiver, mongoUri: string, rabbitUrl: string): Record<string, string> => ({
  MONGODB_URI: mongoUri,
  RABBITMQ_URL: rabbitUrl,
  JWT_SECRET,
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  LOG_LEVEL: "info",
  // other runs on this machine share Redis: keep their rate-limit windows out of the way
  RATE_LIMIT_MAX_REQUESTS: "100000",
  USER_RATE_LIMIT_MAX_REQUESTS: "100000",
  RECOVERY_IDLE_MS: "2000",
  RECOVERY_INTERVAL_MS: "500"
})

let baseEnv: Record<string, string> = {}

const startWorker = async (env: Record<string, string>): Promise<{ service: Service; readyMs: number }> => {
  const port = await freePort()
  const service = startService(`worker#${workers.length + 1}`, "src/worker/main.ts", {
    ...baseEnv,
    WORKER_HEALTH_PORT: String(port),
    ...env
  })
  workers.push(service)
  started.push(service)
  const readyMs = await waitReady(service, `http://127.0.0.1:${port}/api/health/ready`, READY_MS)
  return { service, readyMs }
}

const currentWorker = (): Service => {
  const worker = workers.at(-1)
  if (worker === undefined) throw new Error("no worker started")
  return worker
}

const balance = async (w: World) => {
  const reply = await w.user("GET", `/api/payout/user/${USER}/balance`)
  expect(reply.status).toBe(200)
  return { available: Number(reply.body.available), held: Number(reply.body.held) }
}

const transaction = async (w: World, id: string): Promise<Record<string, unknown>> => {
  const reply = await w.user("GET", `/api/payout/${id}`)
  expect(reply.status).toBe(200)
  const t = reply.body.transaction
  if (typeof t !== "object" || t === null) throw new Error(`no transaction in ${JSON.stringify(reply.body)}`)
  return { ...t }
}

const reconcile = async (w: World) => {
  const reply = await w.admin("GET", "/api/admin/reconcile")
  expect(reply.status).toBe(200)
  expect(reply.body.differences).toEqual([])
  expect(reply.body.ok).toBe(true)
}

const cents = (n: number) => Math.round(n * 100)

beforeAll(async () => {
  const t0 = Date.now()
  const receiver = await startOtlpReceiver()
  cleanups.push(receiver.close)
  const mongo = await startMongo()
  cleanups.push(mongo.release)
  const rabbit = await isolatedRabbit()
  cleanups.push(rabbit.release)
  const created = await seed(mongo.value.uri)
  expect(created).toContain(USER)

  baseEnv = commonEnv(receiver, mongo.value.uri, rabbit.value.url)
  const port = await freePort()
  const gateway = startService("gateway", "src/gateway/main.ts", { ...baseEnv, PORT: String(port) })
  started.push(gateway)
  const gatewayUrl = `http://127.0.0.1:${port}`
  const [gatewayReadyMs, worker] = await Promise.all([
    waitReady(gateway, `${gatewayUrl}/api/health/ready`, READY_MS),
    startWorker({ PAYOUT_PROCESSING_DELAY_MS: "600" })
  ])
  const userToken = await token(JWT_SECRET, USER)
  const events = await connectRecorder(gatewayUrl, userToken, 5_000)
  world = {
    receiver,
    mongo,
    rabbit,
    gatewayUrl,
    gateway,
    user: api(gatewayUrl, userToken),
    admin: api(gatewayUrl, await token(JWT_SECRET, "ops_admin", "admin")),
    events
  }
  console.info(
    `distributed: mongo=${mongo.value.kind}, rabbit=${rabbit.value.isolation}; ready: gateway ${gatewayReadyMs} ms, ` +
      `worker ${worker.readyMs} ms; set-up ${Date.now() - t0} ms`
  )
})

afterEach((context) => {
  if (context.task.result?.state !== "fail") return
  console.error(started.map((s) => s.log(60)).join("\n"))
})

afterAll(async () => {
  world?.events.close()
  await Promise.all(started.map(kill))
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
})

describe("gateway and worker as separate processes on MongoDB, Redis and RabbitMQ", () => {
  it("part 1: a payout is held at once, settled by the worker, announced in order over Socket.IO", async () => {
    const w = need()
    const start = await balance(w)
    expect(start).toEqual({ available: SEEDED, held: 0 })
    const amount = 125.5

    const accepted = await w.user("POST", "/api/payout", {
      userId: USER,
      amount,
      currency: "USD",
      description: "distributed part 1"
    })
    expect(accepted.status).toBe(202)
    expect(accepted.body).toMatchObject({ success: true, status: "initiated", amount, currency: "USD" })
    const id = String(accepted.body.transactionId)
    expect(id).toMatch(TXN)
    firstPayout = id

    // held when 202 is sent (the rail takes 600 ms, so the worker cannot have finished yet)
    expect(await balance(w)).toEqual({ available: SEEDED - amount, held: amount })

    const completed = await w.events.waitFor(id, "PAYOUT_COMPLETED", 15_000)
    expect(w.events.of(id).map((f) => f.event)).toEqual(["PAYOUT_INITIATED", "PAYOUT_PROCESSING", "PAYOUT_COMPLETED"])
    expect(completed.payload).toMatchObject({
      transactionId: id,
      userId: USER,
      status: "completed",
      amount,
      currency: "USD",
      newBalance: SEEDED - amount
    })

    const t = await transaction(w, id)
    expect(t).toMatchObject({ status: "completed", amount, currency: "USD" })
    expect(t.processingDetails).toMatchObject({ attempts: 1 })
    const end = await balance(w)
    expect(cents(end.available)).toBe(cents(SEEDED - amount))
    expect(end.held).toBe(0)
    await reconcile(w)
  })

  it("part 2: a worker SIGKILLed mid-settlement; a new worker finishes the payout exactly once", async () => {
    const w = need()
    // the Part 1 worker leaves on SIGTERM (exit 0), the next one has a slow rail
    const stopped = await stopWith(currentWorker(), "SIGTERM", 15_000)
    expect(stopped).toMatchObject({ code: 0, signal: null })
    // the rail outlasts any slowness of this machine: the kill always lands mid-settlement
    // a short lease, so its takeover after the kill comes within seconds
    await startWorker({ PAYOUT_PROCESSING_DELAY_MS: "10000", RECOVERY_IDLE_MS: "30000", SETTLEMENT_LEASE_MS: "3000" })

    const start = await balance(w)
    const amount = 42.25
    const accepted = await w.user("POST", "/api/payout", {
      userId: USER,
      amount,
      currency: "USD",
      description: "distributed part 2"
    })
    expect(accepted.status).toBe(202)
    const id = String(accepted.body.transactionId)
    expect(id).toMatch(TXN)

    const processing = await w.events.waitFor(id, "PAYOUT_PROCESSING", 15_000)
    const killed = await stopWith(currentWorker(), "SIGKILL", 5_000)
    expect(killed.signal).toBe("SIGKILL")
    const killedAt = Date.now()

    // mid-settlement: still processing, the money still held
    expect(await transaction(w, id)).toMatchObject({ status: "processing" })
    const held = await balance(w)
    expect(cents(held.available)).toBe(cents(start.available - amount))
    expect(cents(held.held)).toBe(cents(start.held + amount))
    expect(w.events.of(id).map((f) => f.event)).toEqual(["PAYOUT_INITIATED", "PAYOUT_PROCESSING"])

    // a new worker with a quick rail and Recovery out of the way (10 min idle): the broker's
    // redelivery of the unacked message alone re-drives the payout, once the dead attempt's lease expired
    const restarted = await startWorker({ PAYOUT_PROCESSING_DELAY_MS: "200", RECOVERY_IDLE_MS: "600000" })
    await w.events.waitFor(id, "PAYOUT_COMPLETED", 15_000)
    const finished = await eventually(
      "payout completed",
      async () => {
        const t = await transaction(w, id)
        return t.status === "completed" ? t : undefined
      },
      5_000
    )
    console.info(
      `distributed: part 2 killed ${killedAt - processing.at} ms after PAYOUT_PROCESSING, ` +
        `completed ${Date.now() - killedAt} ms after the kill (new worker ready in ` +
        `${restarted.readyMs} ms), processingDetails ${JSON.stringify(finished.processingDetails)}`
    )

    const audit = await w.user("GET", `/api/payout/${id}/audit`)
    expect(audit.status).toBe(200)
    const actions = (Array.isArray(audit.body.entries) ? audit.body.entries : []).map((e: unknown) =>
      typeof e === "object" && e !== null && "action" in e ? String(e.action) : "?"
    )
    console.info(`distributed: part 2 audit ${actions.join(" → ")}`)
    expect(actions.filter((a) => a === "PAYOUT_COMPLETED" || a === "PAYOUT_FAILED")).toEqual(["PAYOUT_COMPLETED"])
    expect(actions[0]).toBe("PAYOUT_INITIATED")
    expect(actions.at(-1)).toBe("PAYOUT_COMPLETED")
    // the killed attempt counts: whoever re-drove it claimed a new attempt, each one audited
    const attempts = Number((finished.processingDetails as { readonly attempts?: unknown } | undefined)?.attempts)
    expect(attempts).toBeGreaterThanOrEqual(2)
    expect(actions.filter((a) => a === "PAYOUT_PROCESSING")).toHaveLength(attempts)

    const end = await balance(w)
    expect(cents(end.available)).toBe(cents(start.available - amount))
    expect(cents(end.held)).toBe(cents(start.held))
    expect(end.held).toBe(0)
    await reconcile(w)
  })

  it("traces: one payout is one trace across the gateway and the worker", async () => {
    const w = need()
    const id = firstPayout
    if (id === undefined) throw new Error("part 1 did not get a transaction id")
    const gatewayNames = ["POST /api/payout", "MongoPayoutStore.reserve", "RabbitPayoutQueue.publish"]
    const workerNames = [
      "RabbitPayoutQueue.handle",
      "PayoutSettlement.handle",
      "MongoPayoutStore.startProcessing",
      "SettlementRail.pay",
      "MongoPayoutStore.settle"
    ]
    const has = (spans: ReadonlyArray<ReceivedSpan>, service: string, name: string) =>
      spans.some((s) => s.service === service && s.name === name)

    // the batch processors flush every 500 ms: wait for both services' spans of this trace
    const trace = await eventually(
      "spans of the part 1 payout from both services",
      async () => {
        const all = w.receiver.spans()
        const handle = all.find(
          (s) =>
            s.service === "swiftpay-worker" && s.name === "PayoutSettlement.handle" && s.attributes.transactionId === id
        )
        if (handle === undefined) return undefined
        const spans = all.filter((s) => s.traceId === handle.traceId)
        const complete =
          gatewayNames.every((n) => has(spans, "swiftpay-gateway", n)) &&
          workerNames.every((n) => has(spans, "swiftpay-worker", n))
        return complete ? spans : undefined
      },
      15_000,
      200
    )
    expect(w.receiver.rejected()).toEqual([])

    const byService = (service: string) => trace.filter((s) => s.service === service).map((s) => s.name)
    console.info(
      `distributed: trace ${trace[0]?.traceId} has ${trace.length} spans\n` +
        `  swiftpay-gateway: ${byService("swiftpay-gateway").join(", ")}\n` +
        `  swiftpay-worker: ${byService("swiftpay-worker").join(", ")}`
    )
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(["swiftpay-gateway", "swiftpay-worker"]))
    expect(new Set(trace.map((s) => s.traceId)).size).toBe(1)
    // readiness was polled on both services all along: none of it may be traced
    const probes = w.receiver
      .spans()
      .filter((s) => /\/api\/health|\/metrics/.test(`${s.name} ${JSON.stringify(s.attributes)}`))
    expect(probes.map((s) => `${s.service}: ${s.name}`)).toEqual([])

    const one = (service: string, name: string) => {
      const found = trace.filter((s) => s.service === service && s.name === name)
      expect(found, `${service} ${name}`).toHaveLength(1)
      return found[0] as ReceivedSpan
    }
    const http = one("swiftpay-gateway", "POST /api/payout")
    const publish = one("swiftpay-gateway", "RabbitPayoutQueue.publish")
    const consume = one("swiftpay-worker", "RabbitPayoutQueue.handle")
    // the HTTP server span is the root; the consumer span's parent is the publish span (traceparent header)
    expect(http.kind).toBe(2)
    expect(trace.some((s) => s.spanId === http.parentSpanId)).toBe(false)
    expect(consume.kind).toBe(5)
    expect(consume.parentSpanId).toBe(publish.spanId)
    expect(consume.attributes["messaging.message.id"]).toBe(id)
    // every other span hangs off a span of the same trace
    const ids = new Set(trace.map((s) => s.spanId))
    for (const span of trace) if (span !== http) expect(ids.has(span.parentSpanId ?? ""), span.name).toBe(true)
  })

  it("part 3: a scheduled payout outlives both processes SIGKILLed and restarted before its time; settled after it", async () => {
    const w = need()
    const start = await balance(w)
    const amount = 7.5
    // ahead enough that both processes are surely back before it is due (their start-up is timed below)
    const LEAD_MS = 25_000
    const at = new Date(Date.now() + LEAD_MS)
    const accepted = await w.user("POST", "/api/payout", {
      userId: USER,
      amount,
      currency: "USD",
      description: "distributed part 3",
      scheduledFor: at.toISOString()
    })
    expect(accepted.status).toBe(202)
    expect(accepted.body).toMatchObject({ status: "scheduled", scheduledFor: at.toISOString() })
    const id = String(accepted.body.transactionId)
    expect(cents((await balance(w)).held)).toBe(cents(start.held + amount))

    // every process dies at once, with no chance to clean up
    w.events.close()
    const killedAt = Date.now()
    const [gatewayKilled, workerKilled] = await Promise.all([
      stopWith(w.gateway, "SIGKILL", 5_000),
      stopWith(currentWorker(), "SIGKILL", 5_000)
    ])
    expect([gatewayKilled.signal, workerKilled.signal]).toEqual(["SIGKILL", "SIGKILL"])

    // both back, the gateway on its port (clients keep their URL)
    const port = new URL(w.gatewayUrl).port
    const gateway = startService(
      `gateway#${started.filter((p) => p.name.startsWith("gateway")).length + 1}`,
      "src/gateway/main.ts",
      {
        ...baseEnv,
        PORT: port
      }
    )
    started.push(gateway)
    const [gatewayReadyMs, worker] = await Promise.all([
      waitReady(gateway, `${w.gatewayUrl}/api/health/ready`, READY_MS),
      startWorker({ PAYOUT_PROCESSING_DELAY_MS: "200" })
    ])
    const backAt = Date.now()
    console.info(
      `distributed: part 3 killed both ${at.getTime() - killedAt} ms before the payout's time; back after ` +
        `${backAt - killedAt} ms (gateway ${gatewayReadyMs} ms, worker ${worker.readyMs} ms)`
    )
    expect(backAt, "both processes restarted before the payout's time").toBeLessThan(at.getTime())
    const events = await connectRecorder(w.gatewayUrl, await token(JWT_SECRET, USER), 5_000)
    world = { ...w, gateway, events }

    // still waiting for its time, held
    expect(await transaction(w, id)).toMatchObject({ status: "scheduled" })
    expect(cents((await balance(w)).held)).toBe(cents(start.held + amount))

    const finished = await eventually(
      "scheduled payout completed",
      async () => {
        const t = await transaction(w, id)
        if (t.status !== "completed" && Date.now() < at.getTime()) {
          expect(t.status, "nothing settles it before its time").toBe("scheduled")
        }
        return t.status === "completed" ? t : undefined
      },
      at.getTime() - Date.now() + 20_000,
      250
    )
    const details = finished.processingDetails as { processingStartedAt?: string; scheduledFor?: string }
    expect(Date.parse(String(details.processingStartedAt))).toBeGreaterThanOrEqual(at.getTime())
    const audit = await w.user("GET", `/api/payout/${id}/audit`)
    const actions = (Array.isArray(audit.body.entries) ? audit.body.entries : []).map((e: unknown) =>
      typeof e === "object" && e !== null && "action" in e ? String(e.action) : "?"
    )
    // the store audits a scheduled payout's reserve as PAYOUT_INITIATED (its event is PAYOUT_SCHEDULED)
    expect(actions).toEqual(["PAYOUT_INITIATED", "PAYOUT_PROCESSING", "PAYOUT_COMPLETED"])
    // the restarted gateway's socket got the settlement live
    const completed = await events.waitFor(id, "PAYOUT_COMPLETED", 5_000)
    expect(completed.at).toBeGreaterThanOrEqual(at.getTime())
    const end = await balance(w)
    expect(cents(end.available)).toBe(cents(start.available - amount))
    expect(cents(end.held)).toBe(cents(start.held))
    await reconcile(w)
  })

  it("part 4: a simulated bank return due while no worker runs is recorded by the next worker, once", async () => {
    const w = need()
    // a worker whose simulated bank sends "return" payouts back 3 s after paying them
    await stopWith(currentWorker(), "SIGTERM", 15_000)
    await startWorker({ PAYOUT_PROCESSING_DELAY_MS: "200", RAIL_SIMULATED_RETURN_DELAY_MS: "3000" })
    const start = await balance(w)
    const accepted = await w.user("POST", "/api/payout", {
      userId: USER,
      amount: 3.25,
      currency: "USD",
      metadata: { simulate: "return" }
    })
    expect(accepted.status).toBe(202)
    const id = String(accepted.body.transactionId)
    await w.events.waitFor(id, "PAYOUT_COMPLETED", 15_000)
    // the worker dies inside the return delay; the next one starts after the return came due
    await stopWith(currentWorker(), "SIGKILL", 5_000)
    const killedAt = Date.now()
    await startWorker({ PAYOUT_PROCESSING_DELAY_MS: "200" })
    const returned = await w.events.waitFor(id, "PAYOUT_RETURNED", 30_000)
    console.info(`distributed: part 4 return recorded ${returned.at - killedAt} ms after the worker was killed`)
    expect(returned.payload).toMatchObject({ status: "returned", error: "Simulated bank return" })
    const audit = await w.user("GET", `/api/payout/${id}/audit`)
    const entries = (Array.isArray(audit.body.entries) ? audit.body.entries : []) as Array<{
      action: string
      details: Record<string, unknown>
    }>
    expect(entries.filter((e) => e.action === "PAYOUT_RETURNED").map((e) => e.details.by)).toEqual(["system"])
    const end = await balance(w)
    expect([cents(end.available), cents(end.held)]).toEqual([cents(start.available), cents(start.held)])
    await reconcile(w)
  })

  it("part 5: an admin's daily limit holds on the gateway against racing payouts; the ledger reads them back", async () => {
    const w = need()
    const userId = "limits_lou"
    expect((await w.admin("POST", "/api/admin/users", { userId, currency: "USD" })).status).toBe(201)
    expect(
      (await w.admin("POST", `/api/admin/users/${userId}/credit`, { amount: "100.00", currency: "USD" })).status
    ).toBe(200)
    const limited = await w.admin("PATCH", `/api/admin/users/${userId}`, { limits: { USD: { count: 3 } } })
    expect(limited.body.user).toMatchObject({ limits: { USD: { count: 3 } } })
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => w.admin("POST", "/api/payout", { userId, amount: "1.00", currency: "USD" }))
    )
    // the user's lease may turn some away as CONCURRENT_REQUEST; never more than the limit pass
    const accepted = replies.filter((r) => r.status === 202)
    expect(accepted.length).toBeLessThanOrEqual(3)
    for (const r of replies.filter((r) => r.status !== 202)) {
      expect(["LIMIT_EXCEEDED", "CONCURRENT_REQUEST"]).toContain(r.body.code)
    }
    // the rest of the limit, one at a time (bounded: at most 3 can pass)
    for (let i = accepted.length; i < 3; i++) {
      expect((await w.admin("POST", "/api/payout", { userId, amount: "1.00", currency: "USD" })).status).toBe(202)
    }
    const last = await w.admin("POST", "/api/payout", { userId, amount: "1.00", currency: "USD" })
    expect([last.status, last.body.code, last.body.dailyLimit]).toEqual([
      400,
      "LIMIT_EXCEEDED",
      { kind: "count", currency: "USD", max: 3, used: 3, remaining: 0 }
    ])
    const ledger = await w.admin("GET", `/api/payout/user/${userId}/ledger?limit=100`)
    expect(ledger.status).toBe(200)
    const entries = (Array.isArray(ledger.body.entries) ? ledger.body.entries : []) as Array<{ kind: string }>
    expect(entries.map((e) => e.kind).filter((k) => k === "RESERVE")).toHaveLength(3)
    await reconcile(w)
  })

  it("SIGTERM: the gateway and the worker both exit 0", async () => {
    const w = need()
    w.events.close()
    const [gateway, worker] = await Promise.all([
      stopWith(w.gateway, "SIGTERM", 15_000),
      stopWith(currentWorker(), "SIGTERM", 15_000)
    ])
    console.info(`distributed: SIGTERM exits: gateway ${gateway.tookMs} ms, worker ${worker.tookMs} ms`)
    expect(gateway).toMatchObject({ code: 0, signal: null })
    expect(worker).toMatchObject({ code: 0, signal: null })
  })
})
