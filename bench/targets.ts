/**
 * The systems under load: `embedded` (src/main.ts, one process on memory layers)
 * or `distributed` (src/gateway/main.ts + src/worker/main.ts on the local Redis
 * and RabbitMQ and on MongoDB: `MONGODB_URI`, else an in-process CongoServer).
 * Processes are started with the helpers the distributed tests use, each in a
 * process group of its own, and always stopped by `stopTarget` (also on Ctrl-C).
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"
import { Redis } from "ioredis"
import { isolatedRabbit, startMongo } from "../test/integration/distributed/infra.js"
import {
  freePort,
  kill,
  type Service,
  startService,
  stopWith,
  waitReady
} from "../test/integration/distributed/processes.js"

export type TargetName = "embedded" | "distributed"

export interface TargetOptions {
  readonly delayMs: number
  readonly workerConcurrency: number
  readonly readyMs: number
  /** Flags for the target's node processes (`--profile` sets `--cpu-prof`). */
  readonly nodeArgs: ReadonlyArray<string>
  /** Added to every process's environment (`--tracing`: the OTLP endpoint). */
  readonly env?: Readonly<Record<string, string>>
}

export interface Target {
  readonly name: TargetName
  readonly url: string
  readonly secret: string
  /** What holds the money, as the report prints it. */
  readonly store: string
  /** How the broker is kept apart from other runs (distributed only). */
  readonly broker: string
  readonly services: ReadonlyArray<Service>
}

/** Undone in reverse order by `stopTarget`; one target runs at a time. */
const cleanups: Array<() => Promise<void>> = []

export const stopTarget = async (): Promise<void> => {
  for (let c = cleanups.pop(); c !== undefined; c = cleanups.pop()) await c().catch(() => undefined)
}

const stop = (service: Service) => () =>
  stopWith(service, "SIGTERM", 15_000).then(
    () => undefined,
    () => kill(service)
  )

const launch = (name: string, entry: string, env: Record<string, string>, nodeArgs: ReadonlyArray<string>): Service => {
  const service = startService(name, entry, env, nodeArgs)
  cleanups.push(stop(service))
  return service
}

/** Settings that keep limits, logs and random failures out of the measurement. */
const loadEnv = (o: TargetOptions, secret: string): Record<string, string> => ({
  HOST: "127.0.0.1",
  JWT_SECRET: secret,
  LOG_LEVEL: "warn",
  RATE_LIMIT_MAX_REQUESTS: "1000000000",
  USER_RATE_LIMIT_MAX_REQUESTS: "1000000000",
  PAYOUT_FAILURE_RATE: "0",
  PAYOUT_PROCESSING_DELAY_MS: String(o.delayMs),
  WORKER_CONCURRENCY: String(o.workerConcurrency),
  ...o.env
})

export const startTarget = async (name: TargetName, run: string, o: TargetOptions): Promise<Target> => {
  const secret = randomBytes(32).toString("hex")
  const env = loadEnv(o, secret)
  if (name === "embedded") {
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const service = launch("embedded", "src/main.ts", { ...env, PORT: String(port) }, o.nodeArgs)
    await waitReady(service, `${url}/api/health/ready`, o.readyMs)
    return { name, url, secret, store: "memory (in process)", broker: "memory (in process)", services: [service] }
  }
  const mongo = await startMongo()
  cleanups.push(mongo.release)
  const rabbit = await isolatedRabbit()
  cleanups.push(rabbit.release)
  const railPrefix = `bench:${run}:`
  cleanups.push(() => deleteKeys(railPrefix))
  const shared = { ...env, MONGODB_URI: mongo.value.uri, RABBITMQ_URL: rabbit.value.url, RAIL_SIM_PREFIX: railPrefix }
  const [gatewayPort, workerPort] = [await freePort(), await freePort()]
  const url = `http://127.0.0.1:${gatewayPort}`
  const gateway = launch("gateway", "src/gateway/main.ts", { ...shared, PORT: String(gatewayPort) }, o.nodeArgs)
  const worker = launch(
    "worker",
    "src/worker/main.ts",
    { ...shared, WORKER_HEALTH_PORT: String(workerPort) },
    o.nodeArgs
  )
  await Promise.all([
    waitReady(gateway, `${url}/api/health/ready`, o.readyMs),
    waitReady(worker, `http://127.0.0.1:${workerPort}/api/health/ready`, o.readyMs)
  ])
  const store =
    mongo.value.kind === "CongoServer"
      ? "CongoServer (not MongoDB: its speed says nothing about MongoDB)"
      : "MongoDB (MONGODB_URI, a database of its own)"
  return { name, url, secret, store, broker: `RabbitMQ, ${rabbit.value.isolation}`, services: [gateway, worker] }
}

/** The simulated rail's books of this run, out of the machine's Redis. */
const deleteKeys = async (prefix: string) => {
  const redis = new Redis({ host: "127.0.0.1", port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 })
  redis.on("error", () => {})
  try {
    await redis.connect()
    let cursor = "0"
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
      if (cursor === "0") break
    }
  } finally {
    redis.disconnect()
  }
}

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()

/** A process and its descendants (tsx runs the program in a child node process). */
const tree = (pid: number): Array<number> => {
  const children: Array<number> = []
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim()
      if (text !== "") children.push(...text.split(/\s+/).map(Number))
    }
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(tree)]
}

const cpuOf = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond
  } catch {
    return 0
  }
}

/** CPU time (user + system, µs) each service's processes have used so far. */
export const cpuUs = (target: Target): Record<string, number> =>
  Object.fromEntries(
    target.services.map((s) => [
      s.name,
      (s.child.pid === undefined ? [] : tree(s.child.pid)).reduce((a, p) => a + cpuOf(p), 0)
    ])
  )
