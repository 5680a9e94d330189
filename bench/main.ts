/**
 * npm run bench -- [--target embedded|distributed|both] [--scenario payout|single-user|balance]
 *   [--users 100] [--connections 50] [--duration 10] [--delay 50] [--worker-concurrency 50]
 *   [--amount 0.01] [--credit 100000.00] [--drain-timeout 30] [--max-requests 2000000] [--json path] [--profile dir]
 *   [--tracing off|on|compare]
 *
 * Starts the target, creates and credits the users, loads it, waits for the
 * backlog to drain, checks conservation, prints a table and a JSON document.
 * Exits 1 when a target did not start or a check failed.
 */
import { randomBytes } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { parseArgs } from "node:util"
import { type OtlpReceiver, startOtlpReceiver } from "../test/integration/distributed/otlpReceiver.js"
import { type Conservation, conserve, toCents, waitDrained } from "./check.js"
import { runLoad, type Scenario, stopLoad } from "./load.js"
import { profilesIn, profileTable } from "./profile.js"
import { figures, type RunReport, table } from "./report.js"
import { createUsers, listen, sign } from "./setup.js"
import { cpuUs, startTarget, stopTarget, type TargetName } from "./targets.js"

const { values: args } = parseArgs({
  options: {
    target: { type: "string", default: "embedded" },
    scenario: { type: "string", default: "payout" },
    users: { type: "string", default: "100" },
    connections: { type: "string" },
    duration: { type: "string", default: "10" },
    delay: { type: "string", default: "50" },
    "worker-concurrency": { type: "string", default: "50" },
    amount: { type: "string", default: "0.01" },
    credit: { type: "string", default: "100000.00" },
    "drain-timeout": { type: "string", default: "30" },
    "max-requests": { type: "string", default: "2000000" },
    "ready-timeout": { type: "string", default: "60" },
    json: { type: "string" },
    profile: { type: "string" },
    tracing: { type: "string", default: "off" }
  }
})

const fail = (message: string): never => {
  console.error(`bench: ${message}`)
  process.exit(2)
}
const positive = (name: string, text: string | undefined): number => {
  const n = Number(text)
  return Number.isInteger(n) && n > 0 ? n : fail(`--${name} must be a positive integer, got ${text}`)
}
const targets: ReadonlyArray<TargetName> =
  args.target === "both"
    ? ["embedded", "distributed"]
    : args.target === "embedded" || args.target === "distributed"
      ? [args.target]
      : fail(`--target must be embedded, distributed or both, got ${args.target}`)
/** `--tracing compare`: each target without, then with, spans exported to an OTLP receiver in the bench. */
const tracingRuns: ReadonlyArray<boolean> =
  args.tracing === "off"
    ? [false]
    : args.tracing === "on"
      ? [true]
      : args.tracing === "compare"
        ? [false, true]
        : fail(`--tracing must be off, on or compare, got ${args.tracing}`)
const scenario: Scenario =
  args.scenario === "payout" || args.scenario === "single-user" || args.scenario === "balance"
    ? args.scenario
    : fail(`--scenario must be payout, single-user or balance, got ${args.scenario}`)
const options = {
  scenario,
  users: scenario === "single-user" ? 1 : positive("users", args.users),
  connections: positive("connections", args.connections ?? (scenario === "single-user" ? "10" : "50")),
  durationS: positive("duration", args.duration),
  delayMs: positive("delay", args.delay),
  workerConcurrency: positive("worker-concurrency", args["worker-concurrency"]),
  amount: args.amount,
  credit: args.credit,
  drainTimeoutS: positive("drain-timeout", args["drain-timeout"]),
  maxRequests: positive("max-requests", args["max-requests"])
}
const amountCents = toCents(options.amount)
const creditCents = toCents(options.credit)
const readyMs = positive("ready-timeout", args["ready-timeout"]) * 1000
/** `--profile DIR`: a CPU profile of each target process, summed up after its run. */
const profileDir = args.profile === undefined ? undefined : resolve(args.profile)
if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true })
const nodeArgs = profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`]

const spansOf = (receiver: OtlpReceiver) => {
  const spans = receiver.spans()
  return {
    spans: spans.length,
    traces: new Set(spans.map((s) => s.traceId)).size,
    rejected: receiver.rejected().length
  }
}

const runOne = async (name: TargetName, receiver: OtlpReceiver | undefined): Promise<RunReport> => {
  const run = randomBytes(3).toString("hex")
  const label = receiver === undefined ? name : `${name}, tracing to OTLP`
  console.error(`bench: starting ${label} (run ${run})`)
  const env = receiver === undefined ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }
  const target = await startTarget(name, run, { ...options, readyMs, nodeArgs, env }).catch((e: unknown) => e as Error)
  if (target instanceof Error) return { target: label, started: false, ok: false, error: target.message }
  const base = { target: label, started: true, store: target.store, broker: target.broker, scenario, options }
  const admin = await sign(target.secret, `bench_admin_${run}`, "admin")
  const ids = Array.from({ length: options.users }, (_, i) => `bench_${run}_${i}`)
  const users = await createUsers(target.url, admin, target.secret, ids, options.credit)
  const listener = await listen(target.url, admin, ids)
  try {
    console.error(`bench: ${ids.length} users ready; ${options.connections} connections for ${options.durationS} s`)
    const cpu0 = cpuUs(target)
    const load = await runLoad({ ...options, url: target.url, users }, listener)
    const cpu1 = cpuUs(target)
    const drained = await waitDrained(target.url, users, load.endedAt, options.drainTimeoutS)
    const cpu2 = cpuUs(target)
    // a completion event is published after the write the poll saw: give the last ones a moment
    for (let i = 0; i < 20 && [...load.accepted.keys()].some((id) => !listener.completed.has(id)); i++) await sleep(100)
    const conservation: Conservation =
      drained.drainedS === null
        ? {
            ok: false,
            usersChecked: 0,
            reconcileOk: false,
            acceptedUnseen: 0,
            problems: [
              `backlog not drained in ${options.drainTimeoutS} s: ${drained.open} still open, e.g. ${JSON.stringify(drained.sample)}`
            ]
          }
        : await conserve(
            target.url,
            admin,
            users,
            load.acceptedPerUser,
            load.unansweredPerUser,
            creditCents,
            amountCents
          )
    const f = figures(scenario, load, listener, [cpu0, cpu1, cpu2])
    return {
      ...base,
      ok: conservation.ok,
      figures: f,
      drainedAfterLoadS: drained.drainedS && Math.round(drained.drainedS * 100) / 100,
      conservation
    }
  } finally {
    listener.close()
  }
}

/** Ctrl-C: stop the load and the target's processes (each bounded), then exit 130; repeats are ignored meanwhile. */
let interrupted = false
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) return
  interrupted = true
  console.error(`\nbench: ${signal}, stopping the load and the target`)
  stopLoad()
  void stopTarget().finally(() => process.exit(130))
}
process.on("SIGINT", onSignal)
process.on("SIGTERM", onSignal)

const reports: Array<RunReport> = []
try {
  for (const name of targets) {
    for (const tracing of tracingRuns) {
      if (interrupted) break
      const receiver = tracing ? await startOtlpReceiver() : undefined
      try {
        const report = await runOne(name, receiver)
        await stopTarget() // the processes flush their spans on the way out
        reports.push(receiver === undefined ? report : { ...report, exported: spansOf(receiver) })
      } catch (error) {
        reports.push({
          target: name,
          started: true,
          ok: false,
          error: error instanceof Error ? error.message : String(error)
        })
      } finally {
        await stopTarget()
        await receiver?.close()
      }
    }
  }
} finally {
  await stopTarget()
}
console.log(`\n${reports.map(table).join("\n")}`)
if (profileDir !== undefined) for (const file of profilesIn(profileDir)) console.log(`\n${profileTable(file)}`)
const document = JSON.stringify({ at: new Date().toISOString(), runs: reports }, null, 2)
console.log(document)
if (args.json !== undefined) writeFileSync(args.json, `${document}\n`)
process.exit(interrupted ? 130 : reports.every((r) => r.ok) ? 0 : 1)
