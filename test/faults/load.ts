/**
 * A bounded load of payout requests, as impatient clients send them: each
 * request carries its own Idempotency-Key and is retried under that key on a
 * network error, a timeout, 409 (key in flight), 429 or 5xx, until it gets a
 * definitive answer or its own deadline passes.
 */
import { randomUUID } from "node:crypto"
import { setTimeout as sleep } from "node:timers/promises"
import type { User } from "./world.js"

export interface Accepted {
  readonly key: string
  readonly transactionId: string
  readonly userId: string
  readonly cents: number
  readonly simulate: string | null
}

export interface Sample {
  readonly startedAt: number
  readonly ms: number
  /** HTTP status, or 0 for a network error or timeout. */
  readonly status: number
  readonly code: string | null
}

export interface LoadResult {
  readonly accepted: ReadonlyArray<Accepted>
  /** Keys that never got a definitive answer (their payout may or may not exist). */
  readonly unknown: ReadonlyArray<string>
  /** Definitive refusals (4xx other than 409/429), by code. */
  readonly refused: Readonly<Record<string, number>>
  /** Every HTTP attempt. */
  readonly samples: ReadonlyArray<Sample>
  readonly requests: number
}

export interface LoadOptions {
  /** The gateways to spread requests over (read on every attempt: the set may change). */
  readonly targets: () => ReadonlyArray<string>
  readonly users: ReadonlyArray<User>
  readonly clients: number
  readonly durationMs: number
  readonly maxRequests: number
  /** How long one request is retried under its key. */
  readonly requestDeadlineMs?: number
  /** Pause between one client's requests. */
  readonly thinkMs?: number
}

const pick = <A>(xs: ReadonlyArray<A>): A => {
  const x = xs[Math.floor(Math.random() * xs.length)]
  if (x === undefined) throw new Error("nothing to pick from")
  return x
}

const simulation = (): string | null => {
  const r = Math.random()
  return r < 0.1 ? "fail" : r < 0.15 ? "transient_fail" : null
}

const retryable = (status: number) => status === 0 || status === 409 || status === 429 || status >= 500

export const runLoad = async (options: LoadOptions): Promise<LoadResult> => {
  const accepted: Array<Accepted> = []
  const unknown: Array<string> = []
  const refused: Record<string, number> = {}
  const samples: Array<Sample> = []
  const end = Date.now() + options.durationMs
  let issued = 0

  const one = async () => {
    const user = pick(options.users)
    const key = randomUUID()
    const cents = 1 + Math.floor(Math.random() * 999)
    const simulate = simulation()
    const body = JSON.stringify({
      userId: user.userId,
      amount: (cents / 100).toFixed(2),
      currency: "USD",
      ...(simulate === null ? {} : { metadata: { simulate } })
    })
    const deadline = Date.now() + (options.requestDeadlineMs ?? 30_000)
    while (Date.now() < deadline) {
      const target = pick(options.targets())
      const startedAt = Date.now()
      let status = 0
      let code: string | null = null
      let reply: Record<string, unknown> = {}
      try {
        const response = await fetch(`${target}/api/payout`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${user.bearer}`,
            "content-type": "application/json",
            "idempotency-key": key
          },
          body,
          signal: AbortSignal.timeout(5_000)
        })
        status = response.status
        reply = (await response.json().catch(() => ({}))) as Record<string, unknown>
        code = typeof reply.code === "string" ? reply.code : null
      } catch {
        status = 0
      }
      samples.push({ startedAt, ms: Date.now() - startedAt, status, code })
      if (status === 202) {
        accepted.push({ key, transactionId: String(reply.transactionId), userId: user.userId, cents, simulate })
        return
      }
      if (!retryable(status)) {
        const c = code ?? String(status)
        refused[c] = (refused[c] ?? 0) + 1
        return
      }
      await sleep(100)
    }
    unknown.push(key)
  }

  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (Date.now() < end && issued < options.maxRequests) {
        issued++
        await one()
        if (options.thinkMs !== undefined) await sleep(options.thinkMs)
      }
    })
  )
  return { accepted, unknown, refused, samples, requests: issued }
}

export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0
}
