import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { createServer } from "node:net"
import { io } from "socket.io-client"
import { afterAll, describe, expect, it } from "vitest"

const root = new URL("../..", import.meta.url).pathname

/**
 * `npm start`'s command (`tsx src/main.ts`) as a child process, output collected.
 * Not through npx/npm: they do not forward SIGTERM and leave the app orphaned.
 */
const children: Array<ChildProcess> = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

const start = (env: Record<string, string>) => {
  const child = spawn(`${root}node_modules/.bin/tsx`, ["src/main.ts"], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  children.push(child)
  let stdout = ""
  let stderr = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>
  return { child, exited, output: () => ({ stdout, stderr }) }
}

/** Resolves with the base URL once the banner's listening line is out. */
const listening = (child: ChildProcess, timeoutMs: number) =>
  new Promise<string>((resolve, reject) => {
    let seen = ""
    const timer = setTimeout(() => reject(new Error(`not listening after ${timeoutMs} ms: ${seen}`)), timeoutMs)
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(seen)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once("exit", () => reject(new Error(`exited before listening: ${seen}`)))
  })

describe("npm start as a process", () => {
  it("serves, prints demo tokens, and exits 0 on SIGTERM", async () => {
    const app = start({ PORT: "0" })
    const base = await listening(app.child, 30_000)
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/) // the address really bound, loopback by default
    const health = await fetch(`${base}/api/health`)
    expect(health.status).toBe(200)
    const { stdout } = app.output()
    const token = /user_001 \(Alice Johnson\): (\S+)/.exec(stdout)?.[1]
    expect(stdout).toMatch(/admin: \S+/)
    expect(stdout).toMatch(/\/api\/docs/)
    const balance = await fetch(`${base}/api/payout/user/user_001/balance`, {
      headers: { authorization: `Bearer ${token}` }
    })
    expect(await balance.json()).toMatchObject({ success: true, available: 10000 })

    // A connected socket and a kept-alive connection must not hold the shutdown up.
    const socket = io(base, { auth: { token }, transports: ["websocket"] })
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve)
      socket.once("connect_error", reject)
    })
    const stoppedAt = Date.now()
    app.child.kill("SIGTERM")
    const [code] = await app.exited
    socket.close()
    expect(code).toBe(0)
    expect(Date.now() - stoppedAt).toBeLessThan(5_000)
  }, 40_000)

  it("a bad environment value stops start-up with a message naming the variable", async () => {
    const app = start({ PORT: "0", RATE_LIMIT_MAX_REQUESTS: "lots" })
    const [code] = await app.exited
    expect(code).toBe(1)
    expect(app.output().stderr).toMatch(/RATE_LIMIT_MAX_REQUESTS/)
    expect(app.output().stdout).not.toMatch(/listening/)
  }, 40_000)

  it("every bad variable is named at once, each on its own line, with no stack", async () => {
    const app = start({
      PORT: "abc",
      LOG_LEVEL: "verbose",
      WORKER_CONCURRENCY: "-1",
      MIN_PAYOUT_AMOUNT: "500",
      MAX_PAYOUT_AMOUNT: "10",
      HOST: "0.0.0.0"
    })
    const [code] = await app.exited
    expect(code).toBe(1)
    const { stderr } = app.output()
    for (const name of ["PORT", "LOG_LEVEL", "WORKER_CONCURRENCY", "MIN_PAYOUT_AMOUNT", "HOST"]) {
      expect(stderr).toMatch(new RegExp(`^  ${name}: `, "m"))
    }
    expect(stderr).not.toMatch(/^\s+at /m)
  }, 40_000)

  it("a port in use is one line saying where and what to do", async () => {
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve))
    const address = holder.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    try {
      const app = start({ PORT: String(port) })
      const [code] = await app.exited
      expect(code).toBe(1)
      const { stderr } = app.output()
      expect(stderr.trim()).toBe(
        `Not starting: cannot listen on 127.0.0.1:${port}: the address is already in use (another SwiftPay, or another program, holds the port). Stop it, or set PORT (WORKER_HEALTH_PORT for a worker) to a free port.`
      )
    } finally {
      holder.close()
    }
  }, 40_000)
})
