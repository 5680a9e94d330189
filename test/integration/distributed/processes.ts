import { type ChildProcess, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { setTimeout as sleep } from "node:timers/promises"

const root = new URL("../../..", import.meta.url).pathname

/** A port the OS just handed out (closed again, so a child can listen on it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))))
    })
  })

export interface Service {
  readonly name: string
  readonly child: ChildProcess
  /** Resolves with the exit code and signal once the process has exited. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
  readonly running: () => boolean
  /** The last lines of stdout + stderr, for failure messages. */
  readonly log: (lines?: number) => string
}

/**
 * `node_modules/.bin/tsx <entry>` as a child process (not npm/npx: they do not
 * forward signals), with the test's environment plus `env`, output collected.
 *
 * tsx is itself a launcher: it runs the program in a second node process and
 * relays SIGINT/SIGTERM to it, but a SIGKILL of the launcher leaves that process
 * running, orphaned. So each service gets a process group of its own
 * (`detached`), and SIGKILL goes to the whole group.
 */
export const startService = (
  name: string,
  entry: string,
  env: Readonly<Record<string, string>>,
  /** Flags for node itself (tsx passes them on), e.g. `--cpu-prof`. */
  nodeArgs: ReadonlyArray<string> = []
): Service => {
  const child = spawn(`${root}node_modules/.bin/tsx`, [...nodeArgs, entry], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true
  })
  const output: Array<string> = []
  const collect = (chunk: Buffer) => {
    output.push(
      ...chunk
        .toString("utf8")
        .split("\n")
        .filter((l) => l.length > 0)
    )
    if (output.length > 2000) output.splice(0, output.length - 2000)
  }
  child.stdout?.on("data", collect)
  child.stderr?.on("data", collect)
  let done = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      done = true
      resolve({ code, signal })
    })
  })
  return {
    name,
    child,
    exited,
    running: () => !done,
    log: (lines = 40) => `--- ${name} (pid ${child.pid}) ---\n${output.slice(-lines).join("\n")}`
  }
}

/** Polls GET `url` until it answers 200, the process exits, or the deadline passes. */
export const waitReady = async (service: Service, url: string, timeoutMs: number): Promise<number> => {
  const started = Date.now()
  for (;;) {
    if (!service.running()) throw new Error(`${service.name} exited before it was ready\n${service.log()}`)
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status === 200,
      () => false
    )
    if (ok) return Date.now() - started
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${service.name} not ready at ${url} after ${timeoutMs} ms\n${service.log()}`)
    }
    await sleep(200)
  }
}

/**
 * Whether a live (not zombie) process of group `pgid` is left. Orphans are reaped
 * by PID 1, which can take a second in a container: zombies count as gone. Reads
 * /proc where there is one, else asks kill(-pgid, 0) (which counts zombies too).
 */
const groupAlive = (pgid: number): boolean => {
  let pids: Array<string>
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name))
  } catch {
    try {
      process.kill(-pgid, 0)
      return true
    } catch {
      return false
    }
  }
  return pids.some((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      return pgrp === String(pgid) && state !== "Z" && state !== "X"
    } catch {
      return false
    }
  })
}

/** Resolves once no process of the service's group is left (false after `timeoutMs`). */
const groupGone = async (service: Service, timeoutMs: number): Promise<boolean> => {
  const pid = service.child.pid
  if (pid === undefined) return true
  const deadline = Date.now() + timeoutMs
  while (groupAlive(pid)) {
    if (Date.now() > deadline) return false
    await sleep(20)
  }
  return true
}

const signalService = (service: Service, signal: NodeJS.Signals) => {
  const pid = service.child.pid
  if (pid === undefined) return
  try {
    // SIGKILL cannot be relayed by tsx: kill the whole group; other signals go to tsx, which relays them
    if (signal === "SIGKILL") process.kill(-pid, signal)
    else service.child.kill(signal)
  } catch {
    // already gone
  }
}

/**
 * Sends `signal` and waits, at most `timeoutMs`, until the launcher has exited and
 * no process of its group is left (then SIGKILLs the group and fails).
 */
export const stopWith = async (
  service: Service,
  signal: NodeJS.Signals,
  timeoutMs: number
): Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly tookMs: number }> => {
  const started = Date.now()
  signalService(service, signal)
  const timer = sleep(timeoutMs).then(() => "timeout" as const)
  const result = await Promise.race([service.exited, timer])
  const gone = result !== "timeout" && (await groupGone(service, Math.max(0, timeoutMs - (Date.now() - started))))
  if (result === "timeout" || !gone) {
    signalService(service, "SIGKILL")
    throw new Error(`${service.name} still running ${timeoutMs} ms after ${signal}\n${service.log()}`)
  }
  return { ...result, tookMs: Date.now() - started }
}

/** SIGKILL to the service's whole group and wait until it is gone (cleanup; never throws). */
export const kill = async (service: Service): Promise<void> => {
  signalService(service, "SIGKILL")
  await Promise.race([service.exited, sleep(5_000)])
  await groupGone(service, 5_000)
}
