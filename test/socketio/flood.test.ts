import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Server, startServer } from "../e2e/harness.js"

let server: Server

beforeAll(async () => {
  server = await startServer()
  // Warm-up, so the figures are the flood's and not a cold start's (first socket, first JWT check).
  const { child, next } = flood("authenticate", AUTHENTICATE, 50)
  await next()
  await healthLatencies()
  await stop(child)
})
afterAll(() => server.stop())

const FRAMES = 2_000
const AUTHENTICATE = { userId: "user_001", token: "x" }
const PROBES = 50

/** The flooding client runs in a process of its own, as an attacker does: only the server's cost is measured. */
const flood = (event: string, frame: unknown, frames = FRAMES) => {
  const child = spawn(
    process.execPath,
    ["test/socketio/flooder.mjs", server.base, event, String(frames), JSON.stringify(frame)],
    { stdio: ["ignore", "pipe", "inherit"] }
  )
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  /** The flooder's next line, or "(nothing)" after 10 s. */
  const next = () =>
    new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve("(nothing)"), 10_000)
      void lines.next().then((line) => {
        clearTimeout(timer)
        resolve(String(line.value))
      })
    })
  return { child, next }
}

const stop = async (child: ChildProcess) => {
  if (child.exitCode !== null) return
  child.kill()
  await once(child, "exit")
}

/** Sequential GET /api/health round trips, in ms, sorted. */
const healthLatencies = async () => {
  const latencies: Array<number> = []
  for (let i = 0; i < PROBES; i++) {
    const started = performance.now()
    await (await fetch(`${server.base}/api/health`)).text()
    latencies.push(performance.now() - started)
  }
  return latencies.sort((a, b) => a - b)
}

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN

describe("one socket's frame flood, no token", () => {
  it.each([
    ["authenticate", AUTHENTICATE],
    ["subscribe", { channels: ["user:user_001"] }],
    ["no_such_event", {}]
  ])("%s × 2000 leaves /api/health p99 under 100 ms and the socket is cut off", async (event, frame) => {
    const { child, next } = flood(event, frame)
    try {
      expect(await next()).toBe("sent")
      const latencies = await healthLatencies()
      const [p50, p99] = [percentile(latencies, 50), percentile(latencies, 99)]
      expect(p99, `health p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`).toBeLessThan(100)
      expect(await next()).toBe("disconnected io server disconnect")
    } finally {
      await stop(child)
    }
  })
})
