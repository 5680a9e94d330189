/**
 * After the load: wait (bounded) until no bench payout is `initiated` or
 * `processing`, then check every bench user's money against what the load saw
 * accepted (the failure rate is 0, so every accepted payout must be paid out)
 * and ask the service to reconcile every balance with its ledger.
 *
 * A request the client never saw answered (in flight when the load stopped, or
 * timed out) may or may not have been accepted: for each user the completed
 * count must lie between its 202s and its 202s plus its unanswered requests,
 * and the balance must match that count exactly.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { call, pool, type User } from "./setup.js"

/** "12.34" → 1234; the API's amount rule (at most 2 places). */
export const toCents = (amount: string): number => {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(amount)
  if (m === null) throw new Error(`not an amount: ${amount}`)
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"))
}

const cents = (n: unknown) => Math.round(Number(n) * 100)

/** A user's payouts still `initiated` or `processing` (the first page of each: enough to tell). */
const openOf = async (url: string, u: User, limit: number) => {
  const open: Array<Record<string, unknown>> = []
  for (const status of ["initiated", "processing"]) {
    const r = await call(url, u.token, "GET", `/api/payout/user/${u.id}/history?status=${status}&limit=${limit}`)
    if (r.status !== 200) throw new Error(`history of ${u.id}: ${r.status} ${JSON.stringify(r.body)}`)
    if (Array.isArray(r.body.transactions)) open.push(...(r.body.transactions as Array<Record<string, unknown>>))
  }
  return open
}

export interface Drain {
  /** Seconds from the end of the load until a poll of every user's history found nothing open; null if never. */
  readonly drainedS: number | null
  /** When not drained: how many were still open (first pages) and a few of them. */
  readonly open: number
  readonly sample: ReadonlyArray<Record<string, unknown>>
}

/** Polls every user's history until nothing is open or `timeoutS` has passed. */
export const waitDrained = async (url: string, users: ReadonlyArray<User>, since: number, timeoutS: number) => {
  const deadline = performance.now() + timeoutS * 1000
  for (;;) {
    const late = performance.now() >= deadline
    const open = (await pool(users, 8, (u) => openOf(url, u, late ? 100 : 1))).flat()
    if (open.length === 0) return { drainedS: (performance.now() - since) / 1000, open: 0, sample: [] } satisfies Drain
    if (late) return { drainedS: null, open: open.length, sample: open.slice(0, 3) } satisfies Drain
    await sleep(250)
  }
}

/** Every completed payout of a user: how many, and their sum in cents (bounded paging). */
const paidOut = async (url: string, u: User) => {
  let count = 0
  let sum = 0
  let cursor = ""
  for (let page = 0; page < 100_000; page++) {
    const path = `/api/payout/user/${u.id}/history?status=completed&limit=100&cursor=${encodeURIComponent(cursor)}`
    const r = await call(url, u.token, "GET", path)
    if (r.status !== 200) throw new Error(`history of ${u.id}: ${r.status} ${JSON.stringify(r.body)}`)
    const txs = Array.isArray(r.body.transactions) ? (r.body.transactions as Array<{ amount?: unknown }>) : []
    count += txs.length
    sum += txs.reduce((a, t) => a + cents(t.amount), 0)
    if (typeof r.body.nextCursor !== "string") break
    cursor = r.body.nextCursor
  }
  return { count, sum }
}

export interface Conservation {
  readonly ok: boolean
  readonly usersChecked: number
  readonly reconcileOk: boolean
  /** Payouts the server completed whose 202 the client never saw (from unanswered requests). */
  readonly acceptedUnseen: number
  readonly problems: ReadonlyArray<string>
}

export const conserve = async (
  url: string,
  admin: string,
  users: ReadonlyArray<User>,
  acceptedPerUser: ReadonlyArray<number>,
  unansweredPerUser: ReadonlyArray<number>,
  creditCents: number,
  amountCents: number
): Promise<Conservation> => {
  const problems: Array<string> = []
  let acceptedUnseen = 0
  await pool(
    users.map((u, i) => [u, i] as const),
    8,
    async ([u, i]) => {
      const accepted = acceptedPerUser[i] ?? 0
      const unanswered = unansweredPerUser[i] ?? 0
      const b = await call(url, u.token, "GET", `/api/payout/user/${u.id}/balance?currency=USD`)
      const paid = await paidOut(url, u)
      const got = { available: cents(b.body.available), held: cents(b.body.held), paidOut: paid.sum }
      const want = { available: creditCents - paid.count * amountCents, held: 0, paidOut: paid.count * amountCents }
      const inRange = paid.count >= accepted && paid.count <= accepted + unanswered
      if (b.status !== 200 || JSON.stringify(got) !== JSON.stringify(want) || !inRange) {
        problems.push(
          `${u.id}: got ${JSON.stringify(got)} (cents) for ${paid.count} completed, want ${JSON.stringify(want)}; ` +
            `202s ${accepted}, unanswered ${unanswered}`
        )
      }
      acceptedUnseen += Math.max(0, paid.count - accepted)
    }
  )
  const r = await call(url, admin, "GET", "/api/admin/reconcile")
  const reconcileOk = r.status === 200 && r.body.ok === true
  if (!reconcileOk) problems.push(`reconcile: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`)
  return { ok: problems.length === 0, usersChecked: users.length, reconcileOk, acceptedUnseen, problems }
}
