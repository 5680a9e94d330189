/**
 * The load itself: autocannon for `durationS` seconds on `connections`
 * connections, each request for the next user round-robin. Every response's
 * status is counted; a 202's transactionId is recorded with its arrival time
 * (performance.now(), the clock the Socket.IO listener uses) and its user, so
 * the end-to-end latency and the conservation check use every payout, not a
 * sample. Requests sent but never answered are counted per user too.
 *
 * The end is graceful: autocannon's own stop closes every connection with its
 * request in flight, which the server sees as a client gone mid-request. So
 * past `durationS` each connection closes after its next response instead (by
 * lowering the client's `responseMax`, which autocannon checks before it sends
 * the next request), and autocannon's duration, `GRACE_S` longer, is only the
 * hard bound. The load's end is the last response.
 */
import autocannon from "autocannon"
import type { Listener, User } from "./setup.js"

export type Scenario = "payout" | "single-user" | "balance"

export interface LoadOptions {
  readonly url: string
  readonly scenario: Scenario
  readonly users: ReadonlyArray<User>
  readonly connections: number
  readonly durationS: number
  readonly amount: string
  /** Stop early once this many responses have arrived (a bound on the count). */
  readonly maxRequests: number
}

export interface Load {
  readonly result: autocannon.Result
  /** transactionId → 202 arrival time and the user's index. */
  readonly accepted: Map<string, { readonly at: number; readonly user: number }>
  /** Accepted (202) payouts per user index. */
  readonly acceptedPerUser: Array<number>
  /**
   * Requests per user index that got no answer: in flight when autocannon stopped
   * (one per connection at most) or timed out. Their outcome is unknown here.
   */
  readonly unansweredPerUser: Array<number>
  readonly statuses: Record<string, number>
  readonly startedAt: number
  /** The last response (performance.now()). */
  readonly endedAt: number
}

const GRACE_S = 10

interface Context {
  user?: number
}

let running: autocannon.Instance | undefined

/** Stops the load under way, if any (Ctrl-C). */
export const stopLoad = (): void => running?.stop()

export const runLoad = (o: LoadOptions, listener: Listener): Promise<Load> => {
  const accepted = new Map<string, { at: number; user: number }>()
  const acceptedPerUser = o.users.map(() => 0)
  const sent = o.users.map(() => 0)
  const answered = o.users.map(() => 0)
  const statuses: Record<string, number> = {}
  let responses = 0
  let next = 0
  const prebuilt = o.users.map((u) =>
    o.scenario === "balance"
      ? {
          method: "GET" as const,
          path: `/api/payout/user/${u.id}/balance`,
          headers: { authorization: `Bearer ${u.token}` }
        }
      : {
          method: "POST" as const,
          path: "/api/payout",
          headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
          body: JSON.stringify({ userId: u.id, amount: o.amount, currency: "USD" })
        }
  )
  const startedAt = performance.now()
  const deadline = startedAt + o.durationS * 1000
  let lastResponseAt = startedAt
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.url,
        connections: o.connections,
        duration: o.durationS + GRACE_S,
        timeout: GRACE_S,
        // autocannon notices its clients are all done at its next sample: every 100 ms, not every second
        sampleInt: 100,
        requests: [
          {
            setupRequest: (request, context) => {
              const user = next++ % prebuilt.length
              ;(context as Context).user = user
              sent[user] = (sent[user] ?? 0) + 1
              return { ...request, ...prebuilt[user] }
            },
            onResponse: (status, body, context) => {
              statuses[status] = (statuses[status] ?? 0) + 1
              lastResponseAt = performance.now()
              if (++responses >= o.maxRequests) instance.stop()
              const user = (context as Context).user ?? -1
              answered[user] = (answered[user] ?? 0) + 1
              if (status !== 202) return
              const id = (JSON.parse(body) as { transactionId?: unknown }).transactionId
              if (typeof id !== "string" || user < 0) return
              accepted.set(id, { at: performance.now(), user })
              acceptedPerUser[user] = (acceptedPerUser[user] ?? 0) + 1
            }
          }
        ]
      },
      (error, result) => {
        running = undefined
        clearInterval(progress)
        clearTimeout(watchdog)
        if (process.stderr.isTTY) process.stderr.write("\n")
        if (error !== null && error !== undefined) reject(error)
        else {
          const unansweredPerUser = sent.map((n, i) => n - (answered[i] ?? 0))
          resolve({
            result,
            accepted,
            acceptedPerUser,
            unansweredPerUser,
            statuses,
            startedAt,
            endedAt: lastResponseAt
          })
        }
      }
    )
    running = instance
    instance.on("response", (client) => {
      if (performance.now() >= deadline) (client as unknown as { responseMax: number }).responseMax = 1
    })
    // the run is bounded by autocannon's duration; this is the belt to its braces
    const watchdog = setTimeout(() => instance.stop(), (o.durationS + GRACE_S + 30) * 1000)
    const progress = setInterval(() => {
      const s = Math.round((performance.now() - startedAt) / 1000)
      const ok = o.scenario === "balance" ? (statuses[200] ?? 0) : accepted.size
      const line = `  ${s}/${o.durationS} s  responses ${responses}  ok ${ok}  completed ${listener.completed.size}`
      process.stderr.write(process.stderr.isTTY ? `\r${line}   ` : `${line}\n`)
    }, 1000)
  })
}
