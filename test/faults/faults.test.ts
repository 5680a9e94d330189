/**
 * `npm run test:faults`: settlement exactly once across processes and faults.
 * Gateway and worker processes on the local Redis and RabbitMQ (MongoDB from
 * MONGODB_URI, else CongoServer) under a bounded load of many users, one fault
 * per test, then the checks of `verify`. Every service a test stops is started
 * again, also when the test fails.
 */
import { setTimeout as sleep } from "node:timers/promises"
import * as amqp from "amqplib"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { connectRecorder, eventually } from "../integration/distributed/client.js"
import { type LoadResult, percentile, runLoad } from "./load.js"
import { closeAllRabbitConnections, ensureServices, rabbitOutage, redisOutage } from "./services.js"
import { allReady, settled, verify } from "./verify.js"
import { startWorld, type World } from "./world.js"

let world: World | undefined
const need = () => {
  if (world === undefined) throw new Error("the system did not start (see beforeAll)")
  return world
}

const SETTLE_MS = 90_000
const CLIENTS = 16

beforeAll(async () => {
  const t0 = Date.now()
  await ensureServices()
  const w = await startWorld()
  world = w
  await Promise.all([w.startGateway(), w.startGateway(), w.startWorker(), w.startWorker()])
  console.info(`faults: mongo=${w.mongoKind}; 2 gateways, 2 workers ready in ${Date.now() - t0} ms`)
}, 180_000)

afterEach(async (context) => {
  await ensureServices()
  if (context.task.result?.state === "fail" && world !== undefined) {
    console.error(world.started.map((s) => s.log(40)).join("\n"))
  }
})

afterAll(async () => {
  await ensureServices()
  await world?.close()
}, 60_000)

const targets = () => need().gateways.map((g) => g.url)

const load = (users: ReadonlyArray<{ readonly userId: string; readonly bearer: string }>, durationMs: number) =>
  runLoad({ targets, users, clients: CLIENTS, durationMs, maxRequests: 5_000, thinkMs: 20 })

/** Latency of the intake attempts that started inside [from, to]. */
const during = (l: LoadResult, from: number, to: number) => {
  const inside = l.samples.filter((s) => s.startedAt >= from && s.startedAt <= to)
  return {
    n: inside.length,
    accepted: inside.filter((s) => s.status === 202).length,
    p50: percentile(
      inside.map((s) => s.ms),
      50
    ),
    p99: percentile(
      inside.map((s) => s.ms),
      99
    ),
    byStatus: inside.reduce<Record<string, number>>((m, s) => {
      const k = `${s.status}${s.code === null ? "" : ` ${s.code}`}`
      m[k] = (m[k] ?? 0) + 1
      return m
    }, {})
  }
}

/** The user's whole event log, oldest first, through GET /api/events. */
const eventLogOf = async (base: string, user: { readonly bearer: string }) => {
  const all: Array<{ readonly eventId: string; readonly timestamp: string }> = []
  let after = ""
  for (let page = 0; page < 1_000; page++) {
    const response = await fetch(`${base}/api/events?limit=100&after=${after}`, {
      headers: { authorization: `Bearer ${user.bearer}` }
    })
    const body = (await response.json()) as { events: typeof all; nextCursor: string | null }
    all.push(...body.events)
    if (body.nextCursor === null || body.events.length < 100) return all
    after = body.nextCursor
  }
  return all
}

/** Every payout that was not asked to fail transiently settled in its first attempt: nothing took a live one over. */
const expectOneAttemptEach = async (w: World, result: LoadResult) => {
  const ids = result.accepted.filter((a) => a.simulate !== "transient_fail").map((a) => a.transactionId)
  const docs = await w.mongo
    .db()
    .collection("transactions")
    .find({ transactionId: { $in: ids } })
    .toArray()
  expect(docs.filter((d) => Number(d.attempts) !== 1).map((d) => `${d.transactionId}: ${d.attempts}`)).toEqual([])
}

const finish = async (
  w: World,
  scenario: string,
  users: ReadonlyArray<{ readonly userId: string }>,
  result: LoadResult,
  killsStoreWriters: boolean
) => {
  const recoverStarted = Date.now()
  await allReady(w, 60_000)
  const settledWithinMs = await settled(
    w,
    users.map((u) => u.userId),
    SETTLE_MS
  )
  const report = await verify(w, {
    scenario,
    users: users.map((u) => u.userId),
    load: result,
    settledWithinMs: Date.now() - recoverStarted,
    killsStoreWriters
  })
  expect(report.accepted).toBeGreaterThan(50)
  return { report, settledWithinMs }
}

describe("settlement exactly once under faults", () => {
  it("duplicate, forged-redelivered and poison messages published straight to the queue", async () => {
    const w = need()
    const users = await w.users("dup", 30, 100_000_000)
    const connection = await amqp.connect(w.rabbitUrl)
    connection.on("error", () => {})
    const channel = await connection.createConfirmChannel()
    let stop = false
    const sent = { duplicates: 0, forged: 0, poison: 0 }
    const load$ = load(users, 12_000)
    const accepted: Array<{ transactionId: string; userId: string }> = []
    const injector = (async () => {
      // a side publisher that sees the payouts as they are accepted (reads the store)
      while (!stop) {
        const recent = await w.mongo
          .db()
          .collection("transactions")
          .find({ userId: { $in: users.map((u) => u.userId) } })
          .sort({ createdAt: -1 })
          .limit(5)
          .toArray()
        for (const t of recent) accepted.push({ transactionId: String(t.transactionId), userId: String(t.userId) })
        for (const t of recent) {
          for (const expectedAttempts of [0, 1]) {
            const body = Buffer.from(
              JSON.stringify({ ...(t && { transactionId: t.transactionId, userId: t.userId }), expectedAttempts })
            )
            channel.sendToQueue("payout_queue", body, { persistent: true, messageId: String(t.transactionId) })
            channel.sendToQueue("payout_queue", body, {
              persistent: true,
              messageId: String(t.transactionId),
              headers: { "x-swiftpay-failures": 2, "x-delivery-count": 3 }
            })
            sent.duplicates++
            sent.forged++
          }
        }
        for (const poison of [
          "not json",
          JSON.stringify({ transactionId: 5 }),
          JSON.stringify({ transactionId: "TXN_ZZZZZZZZ_0000000000000000", userId: "dup_0", expectedAttempts: 0 })
        ]) {
          channel.sendToQueue("payout_queue", Buffer.from(poison), { persistent: true })
          sent.poison++
        }
        await channel.waitForConfirms()
        await sleep(300)
      }
    })()
    const result = await load$
    stop = true
    await injector
    const { report } = await finish(w, "duplicate/forged/poison messages", users, result, false)
    // every payout of this load settled in one attempt: no duplicate took a live payout over
    await expectOneAttemptEach(w, result)
    // the poison ends in the dead letters (the unknown payout after its deliveries), never crashing a worker
    const deadline = Date.now() + 30_000
    let dead = 0
    while (Date.now() < deadline) {
      dead = (await channel.checkQueue("payout_dlq")).messageCount
      if (dead >= sent.poison) break
      await sleep(250)
    }
    // exactly the poison: no payout message was dead-lettered
    await sleep(1_000)
    dead = (await channel.checkQueue("payout_dlq")).messageCount
    expect(dead).toBe(sent.poison)
    await connection.close()
    console.info(`faults: injected ${JSON.stringify(sent)}, dead letters ${dead}; ${JSON.stringify(report)}`)
  }, 240_000)

  it("Redis stopped and restarted during load: 503 while it is down, nothing held without a 202, all back after", async () => {
    const w = need()
    const users = await w.users("redis", 30, 100_000_000)
    const load$ = load(users, 16_000)
    await sleep(4_000)
    const downAt = Date.now()
    await redisOutage(5_000)
    const upAt = Date.now()
    const result = await load$
    const window = during(result, downAt + 500, upAt - 500)
    console.info(`faults: redis outage ${upAt - downAt} ms, intake then: ${JSON.stringify(window)}`)
    expect(window.byStatus["503 SERVICE_UNAVAILABLE"] ?? 0).toBeGreaterThan(0)
    expect(result.unknown).toEqual([])
    await finish(w, "redis stop/start", users, result, false)
  }, 240_000)

  it("sockets kept through a Redis outage receive every event of their payouts, late, none missing", async () => {
    const w = need()
    const users = await w.users("evt", 4, 100_000_000)
    const gateway = w.gateways[0]
    if (gateway === undefined) throw new Error("no gateway")
    const sockets = await Promise.all(users.map((u) => connectRecorder(gateway.url, u.bearer, 10_000)))
    try {
      const load$ = load(users, 14_000)
      await sleep(4_000)
      const downAt = Date.now()
      await redisOutage(5_000)
      const upAt = Date.now()
      const result = await load$
      await finish(w, "redis stop/start, events", users, result, false)
      let late = 0
      for (const [i, u] of users.entries()) {
        const logged = await eventLogOf(gateway.url, u)
        expect(logged.length).toBeGreaterThanOrEqual(3 * result.accepted.filter((a) => a.userId === u.userId).length)
        const socket = sockets[i]
        if (socket === undefined) throw new Error("no socket")
        // the relay publishes what the outage cost within RELAY_INTERVAL_MS of Redis being back
        const received = await eventually(
          `every logged event of ${u.userId} on its socket`,
          async () => {
            const ids = new Set(socket.frames().map((f) => String(f.payload.eventId)))
            return logged.every((e) => ids.has(e.eventId)) ? ids : undefined
          },
          30_000,
          250
        )
        expect(received.size).toBe(logged.length)
        late += socket.frames().filter((f) => f.at > upAt).length
        const inOutage = logged.filter((e) => Date.parse(e.timestamp) >= downAt && Date.parse(e.timestamp) <= upAt)
        console.info(
          `faults: ${u.userId}: ${logged.length} events logged, ${inOutage.length} recorded during the outage`
        )
      }
      console.info(`faults: events received after Redis was back: ${late}`)
    } finally {
      for (const socket of sockets) socket.close()
    }
  }, 240_000)

  it("RabbitMQ connections dropped mid-rail, then stop_app/start_app during load: intake stays fast, nothing lost or paid twice", async () => {
    const w = need()
    const users = await w.users("rabbit", 30, 100_000_000)
    const loadStart = Date.now()
    const load$ = load(users, 22_000)
    await sleep(3_000)
    await closeAllRabbitConnections()
    await sleep(4_000)
    const down = await rabbitOutage(6_000)
    const result = await load$
    const window = during(result, down.from + 500, down.to)
    const before = during(result, loadStart + 1_000, down.from)
    console.info(
      `faults: rabbitmq down ${down.to - down.from} ms (then start_app), intake then: ${JSON.stringify(window)}; ` +
        `before: ${JSON.stringify(before)}`
    )
    // every request of the outage is accepted, and typically no slower than before it: nobody waits for the
    // broker (a wait for its publish timeout would put the median above this bound). p99 is reported: on
    // this shared machine its tail follows CPU contention, not the broker.
    expect(window.n).toBeGreaterThan(20)
    expect(window.accepted).toBe(window.n)
    expect(window.p50).toBeLessThanOrEqual(Math.max(200, before.p50 * 1.5 + 100))
    const { report } = await finish(w, "rabbitmq connection drop + stop_app", users, result, false)
    // connection loss is not a cancellation: no payout needed a second attempt
    await expectOneAttemptEach(w, result)
    console.info(`faults: ${JSON.stringify(report)}`)
  }, 240_000)

  it("a gateway SIGKILLed twice during load, its clients retrying under the same Idempotency-Key", async () => {
    const w = need()
    const users = await w.users("gw", 30, 100_000_000)
    const load$ = load(users, 18_000)
    for (const at of [4_000, 6_000]) {
      await sleep(at)
      const victim = w.gateways[0]
      if (victim !== undefined) await w.restart(victim)
    }
    const result = await load$
    await finish(w, "gateway SIGKILL", users, result, true)
  }, 240_000)

  it("workers SIGKILLed 10 times during load, two workers killed alternately", async () => {
    const w = need()
    const users = await w.users("wk", 30, 100_000_000)
    const load$ = load(users, 26_000)
    for (let i = 0; i < 10; i++) {
      await sleep(2_200)
      const victim = w.workers[i % 2]
      if (victim !== undefined) await w.restart(victim)
    }
    const result = await load$
    await finish(w, "worker SIGKILL x10", users, result, true)
  }, 300_000)

  it("a rail slower than the lease, with Recovery running often: every payout is paid by one live attempt", async () => {
    const w = need()
    const slow = {
      PAYOUT_PROCESSING_DELAY_MS: "9000",
      SETTLEMENT_LEASE_MS: "4000",
      RECOVERY_IDLE_MS: "500",
      RECOVERY_INTERVAL_MS: "200",
      WORKER_CONCURRENCY: "60"
    }
    for (const worker of w.workers) await w.restart(worker, slow)
    await allReady(w, 60_000)
    const users = await w.users("slow", 30, 100_000_000)
    const result = await load(users, 8_000)
    const { report } = await finish(w, "rail slower than the lease", users, result, false)
    await expectOneAttemptEach(w, result)
    console.info(`faults: ${JSON.stringify(report)}`)
  }, 300_000)
})
