/**
 * The system under fault: gateway(s) and worker(s) as processes on the local
 * Redis and RabbitMQ (a throw-away vhost), MongoDB from MONGODB_URI or an
 * in-process CongoServer, many funded users.
 */
import { randomUUID } from "node:crypto"
import { Effect, Layer, Redacted } from "effect"
import { Redis } from "ioredis"
import { MongoClient } from "mongodb"
import { minor, UserId } from "../../src/domain/index.js"
import { Mongo } from "../../src/infra/mongo/client.js"
import * as MongoPayoutStore from "../../src/infra/mongo/payoutStore.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { token } from "../integration/distributed/client.js"
import { isolatedRabbit, type Resource, startMongo } from "../integration/distributed/infra.js"
import { freePort, kill, type Service, startService, waitReady } from "../integration/distributed/processes.js"

export const JWT_SECRET = "fault-suite-secret-0123456789abcdef0123456789abcdef"
const READY_MS = 60_000

export interface User {
  readonly userId: string
  readonly bearer: string
}

export interface Proc {
  readonly name: string
  readonly url: string
  service: Service
}

export interface World {
  readonly mongoKind: string
  /** A real MongoDB rolls a transaction cut by SIGKILL back; CongoServer keeps what it had written. */
  readonly rollsBack: boolean
  readonly mongoUri: string
  readonly rabbitUrl: string
  readonly railPrefix: string
  readonly mongo: MongoClient
  readonly redis: Redis
  readonly admin: string
  readonly env: Record<string, string>
  readonly gateways: Array<Proc>
  readonly workers: Array<Proc>
  /** Every process ever started here, for logs and clean-up. */
  readonly started: Array<Service>
  readonly users: (prefix: string, n: number, cents: number) => Promise<ReadonlyArray<User>>
  readonly startGateway: (env?: Record<string, string>) => Promise<Proc>
  readonly startWorker: (env?: Record<string, string>) => Promise<Proc>
  /** SIGKILL and start again with the same port and environment (not waiting for ready). */
  readonly restart: (proc: Proc, env?: Record<string, string>) => Promise<void>
  readonly close: () => Promise<void>
}

export const startWorld = async (env: Record<string, string> = {}): Promise<World> => {
  const cleanups: Array<() => Promise<void>> = []
  const mongoResource: Resource<{ readonly uri: string; readonly kind: string }> = await startMongo()
  cleanups.push(mongoResource.release)
  const rabbit = await isolatedRabbit()
  cleanups.push(rabbit.release)
  const mongoUri = mongoResource.value.uri
  const mongo = new MongoClient(mongoUri)
  await mongo.connect()
  cleanups.push(() => mongo.close())
  const railPrefix = `railsim:fault_${randomUUID().slice(0, 8)}:`
  const redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on("error", () => {})
  await redis.connect()
  cleanups.push(async () => {
    const keys = await redis.keys(`${railPrefix}*`).catch(() => [])
    if (keys.length > 0) await redis.del(...keys).catch(() => undefined)
    redis.disconnect()
  })

  const baseEnv: Record<string, string> = {
    MONGODB_URI: mongoUri,
    RABBITMQ_URL: rabbit.value.url,
    JWT_SECRET,
    RAIL_SIM_PREFIX: railPrefix,
    LOG_LEVEL: "info",
    RATE_LIMIT_MAX_REQUESTS: "10000000",
    USER_RATE_LIMIT_MAX_REQUESTS: "10000000",
    PAYOUT_PROCESSING_DELAY_MS: "200",
    SETTLEMENT_LEASE_MS: "3000",
    RECOVERY_IDLE_MS: "3000",
    RECOVERY_INTERVAL_MS: "500",
    RETRY_DELAY_MS: "200",
    IDEMPOTENCY_LEASE_MS: "3000",
    QUEUE_PUBLISH_TIMEOUT_MS: "2000",
    QUEUE_BREAKER_COOLDOWN_MS: "500",
    LOCK_RETRY_DELAY_MS: "10",
    LOCK_RETRY_COUNT: "200",
    ...env
  }
  const started: Array<Service> = []
  const gateways: Array<Proc> = []
  const workers: Array<Proc> = []
  const envOf = new Map<Proc, Record<string, string>>()

  const kinds = {
    gateway: { entry: "src/gateway/main.ts", portVar: "PORT", procs: gateways },
    worker: { entry: "src/worker/main.ts", portVar: "WORKER_HEALTH_PORT", procs: workers }
  } as const
  const kindOf = (proc: Pick<Proc, "name">) => (proc.name.startsWith("gateway") ? kinds.gateway : kinds.worker)

  const launch = (proc: Pick<Proc, "name" | "url">, extra: Record<string, string>) => {
    const { entry, portVar } = kindOf(proc)
    const service = startService(proc.name, entry, { ...baseEnv, ...extra, [portVar]: new URL(proc.url).port })
    started.push(service)
    return service
  }

  const start = async (kind: keyof typeof kinds, extra: Record<string, string>) => {
    const { procs } = kinds[kind]
    const at = { name: `${kind}#${procs.length + 1}`, url: `http://127.0.0.1:${await freePort()}` }
    const proc: Proc = { ...at, service: launch(at, extra) }
    envOf.set(proc, extra)
    procs.push(proc)
    await waitReady(proc.service, `${proc.url}/api/health/ready`, READY_MS)
    return proc
  }
  const startGateway = (extra: Record<string, string> = {}) => start("gateway", extra)
  const startWorker = (extra: Record<string, string> = {}) => start("worker", extra)

  const restart = async (proc: Proc, extra?: Record<string, string>) => {
    await kill(proc.service)
    const env = extra ?? envOf.get(proc) ?? {}
    envOf.set(proc, env)
    proc.service = launch(proc, env)
  }

  const store = MongoPayoutStore.layer.pipe(Layer.provide(Mongo.layer({ uri: Redacted.make(mongoUri) })))
  const users = async (prefix: string, n: number, cents: number) => {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}_${i}`)
    await Effect.runPromise(
      Effect.gen(function* () {
        const s = yield* PayoutStore
        yield* Effect.forEach(
          ids,
          (id) =>
            Effect.zipRight(
              s.createUser({ userId: UserId.make(id), name: id, email: null, currency: "USD", status: "active" }),
              s.credit({ userId: UserId.make(id), amount: minor(cents), currency: "USD" }, null)
            ),
          { concurrency: 8, discard: true }
        )
      }).pipe(Effect.provide(store))
    )
    return Promise.all(ids.map(async (userId) => ({ userId, bearer: await token(JWT_SECRET, userId) })))
  }

  return {
    mongoKind: mongoResource.value.kind,
    rollsBack: mongoResource.value.kind !== "CongoServer",
    mongoUri,
    rabbitUrl: rabbit.value.url,
    railPrefix,
    mongo,
    redis,
    admin: await token(JWT_SECRET, "fault_admin", "admin"),
    env: baseEnv,
    gateways,
    workers,
    started,
    users,
    startGateway,
    startWorker,
    restart,
    close: async () => {
      await Promise.all(started.map(kill))
      for (const c of cleanups.reverse()) await c().catch(() => undefined)
    }
  }
}
