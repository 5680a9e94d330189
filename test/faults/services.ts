/**
 * Stops and starts the machine's own Redis and RabbitMQ (the ones CI uses), and
 * always starts them again: `withRedisDown`/`withRabbitDown` restart in a
 * `finally`, and `ensureServices` runs after every test.
 */
import { execFile } from "node:child_process"
import { existsSync, unlinkSync } from "node:fs"
import { join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { promisify } from "node:util"

const run = promisify(execFile)
const sh = (cmd: string, args: ReadonlyArray<string>, timeout = 60_000) =>
  run(cmd, [...args], { timeout }).then(
    (r) => r.stdout,
    (e: unknown) => {
      throw new Error(`${cmd} ${args.join(" ")} failed: ${e instanceof Error ? e.message : String(e)}`)
    }
  )

const redisAnswers = () =>
  sh("redis-cli", ["-h", "127.0.0.1", "-p", "6379", "ping"], 5_000).then(
    (o) => o.includes("PONG"),
    () => false
  )
const rabbitAnswers = () =>
  sh("rabbitmq-diagnostics", ["-q", "check_running"], 30_000).then(
    () => true,
    () => false
  )

const until = async (what: string, ok: () => Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what} did not come back within ${timeoutMs} ms`)
    await sleep(200)
  }
}

const REDIS_DIR = "/var/lib/redis"

/** The start command the machine (and .ci/run) uses. */
const startRedis = async () => {
  await sh("redis-server", [
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    REDIS_DIR,
    "--logfile",
    "/var/log/redis/ci.log"
  ])
  await until("redis", redisAnswers, 30_000)
}

/**
 * Redis stopped for `downMs` with its data saved (as a deployment with persistence
 * keeps it: compose runs Redis with AOF), then started again, whatever happens.
 * The dump is removed once loaded, so the machine's Redis stays in memory only.
 */
export const redisOutage = async (downMs: number): Promise<void> => {
  await sh("redis-cli", ["-h", "127.0.0.1", "-p", "6379", "shutdown", "save"]).catch(() => "")
  try {
    await sleep(downMs)
  } finally {
    await startRedis()
    const dump = join(REDIS_DIR, "dump.rdb")
    if (existsSync(dump)) unlinkSync(dump)
  }
}

/**
 * `rabbitmqctl stop_app` for `downMs`, then `start_app`, whatever happens. Returns
 * when the broker was down, from its stop until `start_app` began (the broker's own
 * start-up then loads the machine: not the time to judge intake by).
 */
export const rabbitOutage = async (downMs: number): Promise<{ readonly from: number; readonly to: number }> => {
  await sh("rabbitmqctl", ["-q", "stop_app"])
  const from = Date.now()
  let to = from
  try {
    await sleep(downMs)
  } finally {
    to = Date.now()
    await sh("rabbitmqctl", ["-q", "start_app"])
    await until("rabbitmq", rabbitAnswers, 60_000)
  }
  return { from, to }
}

/** Every connection of every client dropped by the broker (the processes stay up). */
export const closeAllRabbitConnections = () => sh("rabbitmqctl", ["-q", "close_all_connections", "fault suite"])

/** Starts whichever of the two is down (after a test, even a failed one). */
export const ensureServices = async () => {
  if (!(await redisAnswers())) await startRedis()
  if (!(await rabbitAnswers())) {
    await sh("rabbitmqctl", ["-q", "start_app"]).catch(() => sh("rabbitmq-server", ["-detached"]))
    await until("rabbitmq", rabbitAnswers, 90_000)
  }
}
