/**
 * Webhooks on the real layers: the gateway and workers as processes on MongoDB
 * (CongoServer unless MONGODB_URI), Redis and RabbitMQ, a verifying receiver on
 * 127.0.0.1. Deliveries pending while the receiver is down survive a worker's
 * SIGKILL and are delivered by the next worker; two workers running at once
 * never both make the same attempt.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { type Receiver, startReceiver } from "../webhooks/receiver.js"
import { api, eventually, token } from "./distributed/client.js"
import { isolatedRabbit, seed, startMongo } from "./distributed/infra.js"
import { freePort, kill, type Service, startService, stopWith, waitReady } from "./distributed/processes.js"

const JWT_SECRET = "webhooks-test-secret-0123456789abcdef0123456789ab"
const USER = "user_003"
const READY_MS = 60_000

let env: Record<string, string> = {}
let user: ReturnType<typeof api>
let hooks: Receiver
const started: Array<Service> = []
const cleanups: Array<() => Promise<void>> = []

const startWorker = async (name: string) => {
  const port = await freePort()
  const service = startService(name, "src/worker/main.ts", { ...env, WORKER_HEALTH_PORT: String(port) })
  started.push(service)
  await waitReady(service, `http://127.0.0.1:${port}/api/health/ready`, READY_MS)
  return service
}

interface DeliveryView {
  readonly eventId: string
  readonly status: string
  readonly attempts: ReadonlyArray<{ readonly attempt: number; readonly httpStatus?: number; readonly error?: string }>
}

const deliveries = async (endpointId: string): Promise<ReadonlyArray<DeliveryView>> => {
  const r = await user("GET", `/api/webhooks/${endpointId}/deliveries?limit=100`)
  expect(r.status).toBe(200)
  return r.body.deliveries as ReadonlyArray<DeliveryView>
}

const payout = async (amount: number) => {
  const r = await user("POST", "/api/payout", { userId: USER, amount, currency: "USD" })
  expect(r.status).toBe(202)
  return String(r.body.transactionId)
}

const completed = (id: string) =>
  eventually(
    `${id} completed`,
    async () =>
      ((await user("GET", `/api/payout/${id}`)).body.transaction as { status: string }).status === "completed" ||
      undefined,
    20_000,
    100
  )

beforeAll(async () => {
  const mongo = await startMongo()
  cleanups.push(mongo.release)
  const rabbit = await isolatedRabbit()
  cleanups.push(rabbit.release)
  await seed(mongo.value.uri)
  hooks = await startReceiver()
  cleanups.push(hooks.close)
  env = {
    MONGODB_URI: mongo.value.uri,
    RABBITMQ_URL: rabbit.value.url,
    JWT_SECRET,
    LOG_LEVEL: "warn",
    RATE_LIMIT_MAX_REQUESTS: "100000",
    USER_RATE_LIMIT_MAX_REQUESTS: "100000",
    PAYOUT_PROCESSING_DELAY_MS: "50",
    WEBHOOK_ALLOW_HTTP: "true",
    WEBHOOK_ALLOW_PRIVATE_URLS: "true",
    WEBHOOK_POLL_INTERVAL_MS: "50",
    WEBHOOK_RETRY_BASE_MS: "100",
    WEBHOOK_RETRY_MAX_DELAY_MS: "300",
    WEBHOOK_MAX_ATTEMPTS: "100",
    // a killed worker's lease (timeout + 5 s) runs out within the test's wait
    WEBHOOK_TIMEOUT_MS: "2000"
  }
  const port = await freePort()
  const gateway = startService("gateway", "src/gateway/main.ts", { ...env, PORT: String(port) })
  started.push(gateway)
  await waitReady(gateway, `http://127.0.0.1:${port}/api/health/ready`, READY_MS)
  user = api(`http://127.0.0.1:${port}`, await token(JWT_SECRET, USER))
})

afterEach((context) => {
  if (context.task.result?.state === "fail") console.error(started.map((s) => s.log(40)).join("\n"))
})

afterAll(async () => {
  await Promise.all(started.map(kill))
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
})

describe("webhooks across processes on MongoDB, Redis and RabbitMQ", () => {
  it("deliveries pending while the receiver is down survive a worker's SIGKILL; the next worker delivers each once", async () => {
    const made = await user("POST", "/api/webhooks", { url: hooks.url })
    expect(made.status).toBe(201)
    const endpoint = made.body.endpoint as { id: string; secret: string }
    hooks.trust(endpoint.secret)
    hooks.behave({ status: 503 })

    const first = await startWorker("worker#1")
    const id = await payout(12.5)
    await completed(id)
    // the receiver has refused each of the payout's three events at least once
    await eventually(
      "three deliveries attempted",
      async () => {
        const ds = await deliveries(endpoint.id)
        return ds.length === 3 && ds.every((d) => d.attempts.length >= 1 && d.status === "pending") ? ds : undefined
      },
      15_000
    )
    expect((await stopWith(first, "SIGKILL", 5_000)).signal).toBe("SIGKILL")
    expect(hooks.delivered.size).toBe(0)

    hooks.behave({})
    const second = await startWorker("worker#2")
    await hooks.waitFor(3, 20_000)
    const ids = [...hooks.delivered.keys()].sort()
    expect(ids).toHaveLength(3)
    expect(ids.every((e) => e.startsWith(`evt_${USER}_`))).toBe(true)
    expect(hooks.rejected).toEqual([])
    const done = await eventually(
      "all delivered",
      async () => {
        const ds = await deliveries(endpoint.id)
        return ds.every((d) => d.status === "delivered") ? ds : undefined
      },
      10_000
    )
    for (const d of done) {
      expect(d.attempts.at(-1)?.httpStatus).toBe(204)
      expect(d.attempts.slice(0, -1).every((a) => a.httpStatus === 503 || a.error !== undefined)).toBe(true)
    }
    expect((await stopWith(second, "SIGTERM", 15_000)).code).toBe(0)
    expect((await user("DELETE", `/api/webhooks/${endpoint.id}`)).status).toBe(200)
  })

  it("two workers at once: every attempt is made by one of them only, each event delivered once", async () => {
    const made = await user("POST", "/api/webhooks", { url: `${hooks.url}?second` })
    const endpoint = made.body.endpoint as { id: string; secret: string }
    hooks.trust(endpoint.secret)
    hooks.behave({ failFirst: 2 })
    await Promise.all([startWorker("worker#3"), startWorker("worker#4")])
    const before = hooks.delivered.size
    const payouts = await Promise.all([1, 2, 3, 4, 5].map((n) => payout(n)))
    await Promise.all(payouts.map(completed))
    await hooks.waitFor(before + 3 * payouts.length, 30_000)
    const done = await eventually(
      "all delivered",
      async () => {
        const ds = await deliveries(endpoint.id)
        return ds.length === 15 && ds.every((d) => d.status === "delivered") ? ds : undefined
      },
      15_000
    )
    // the receiver's count of requests per webhook-id equals the attempts recorded: none made twice
    for (const d of done) {
      expect(d.attempts.map((a) => a.attempt)).toEqual([1, 2, 3])
      expect(hooks.attempts.get(d.eventId)).toBe(3)
    }
  })
})
