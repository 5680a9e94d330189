import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { Webhook } from "standardwebhooks"

export interface Received {
  readonly id: string
  readonly body: unknown
  readonly headers: IncomingHttpHeaders
}

export interface ReceiverOptions {
  /** Answer 500 to the first `failFirst` attempts of each webhook-id. */
  readonly failFirst?: number
  /** Answer this instead (e.g. 410), once verified. */
  readonly status?: number
}

/**
 * A merchant's webhook receiver on 127.0.0.1, as the README tells merchants to
 * write one: verify every request with `standardwebhooks`, keep each webhook-id
 * once. It fails a test's expectations loudly: a bad signature is recorded.
 */
export const startReceiver = async (initial: ReceiverOptions = {}) => {
  let options = initial
  let secrets: ReadonlyArray<string> = []
  const attempts = new Map<string, number>()
  /** First successful receipt per webhook-id, in arrival order. */
  const delivered = new Map<string, Received>()
  const rejected: Array<string> = []
  const waiters = new Set<() => void>()
  let hits = 0

  const server = createServer((req, res) => {
    hits++
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8")
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string")
      )
      const verified = secrets.some((secret) => {
        try {
          new Webhook(secret).verify(raw, headers)
          return true
        } catch {
          return false
        }
      })
      const id = headers["webhook-id"] ?? ""
      if (!verified) {
        rejected.push(id)
        res.writeHead(400).end("bad signature")
        return
      }
      const n = (attempts.get(id) ?? 0) + 1
      attempts.set(id, n)
      if (n <= (options.failFirst ?? 0)) {
        res.writeHead(500).end("not yet")
        return
      }
      if (options.status !== undefined) {
        res.writeHead(options.status).end()
        return
      }
      if (!delivered.has(id)) delivered.set(id, { id, body: JSON.parse(raw), headers: req.headers })
      res.writeHead(204).end()
      for (const wake of waiters) wake()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo

  /** Resolves once `n` distinct webhook-ids have been delivered, or rejects after `timeoutMs`. */
  const waitFor = (n: number, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (delivered.size < n) return false
        waiters.delete(check)
        clearTimeout(timer)
        resolve()
        return true
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`${delivered.size} of ${n} webhooks within ${timeoutMs} ms`))
      }, timeoutMs)
      if (!check()) waiters.add(check)
    })

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    /** The secrets the receiver accepts (the endpoint's, once created). */
    trust: (...s: ReadonlyArray<string>) => {
      secrets = s
    },
    /** From now on, behave like this instead. */
    behave: (next: ReceiverOptions) => {
      options = next
    },
    attempts,
    delivered,
    rejected,
    hits: () => hits,
    waitFor,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>
