import type { Account } from "./account.js"
import type { UserId } from "./ids.js"
import { type Bucket, isBalanced, type Posting } from "./ledger.js"
import type { Currency } from "./money.js"
import type { Transaction } from "./transaction.js"

export type Difference =
  | {
      readonly type: "BALANCE_MISMATCH"
      readonly userId: UserId
      readonly currency: Currency
      readonly bucket: Bucket
      readonly stored: number
      readonly fromLedger: number
    }
  | {
      readonly type: "UNBALANCED_POSTING"
      readonly userId: UserId
      readonly currency: Currency
      readonly postingId: string
    }
  | {
      readonly type: "NEGATIVE_BALANCE"
      readonly userId: UserId
      readonly currency: Currency
      readonly bucket: Bucket
      readonly value: number
    }
  | {
      readonly type: "HELD_MISMATCH"
      readonly userId: UserId
      readonly currency: Currency
      readonly held: number
      readonly openPayouts: number
    }

export interface ReconcileReport {
  readonly ok: boolean
  readonly accounts: number
  readonly differences: ReadonlyArray<Difference>
}

const key = (userId: string, currency: string) => `${userId}\u0000${currency}`

/** What each stored bucket should read, given the ledger. `funding` holds minus the funded total. */
const storedValue = (a: Account, bucket: Bucket): number =>
  bucket === "funding" ? -a.funded : bucket === "available" ? a.available : bucket === "held" ? a.held : a.paidOut

const buckets: ReadonlyArray<Bucket> = ["funding", "available", "held", "paidOut"]

/**
 * Recomputes every balance from the ledger and compares: the proof behind the
 * money invariants (conservation follows from every posting summing to zero).
 */
export const reconcile = (
  accounts: Iterable<Account>,
  postings: Iterable<Posting>,
  openPayouts: Iterable<Transaction>
): ReconcileReport => {
  const differences: Array<Difference> = []
  const fromLedger = new Map<string, Map<Bucket, number>>()
  for (const p of postings) {
    if (!isBalanced(p)) {
      differences.push({ type: "UNBALANCED_POSTING", userId: p.userId, currency: p.currency, postingId: p.postingId })
    }
    const sums = fromLedger.get(key(p.userId, p.currency)) ?? new Map<Bucket, number>()
    for (const line of p.lines) sums.set(line.bucket, (sums.get(line.bucket) ?? 0) + line.amount)
    fromLedger.set(key(p.userId, p.currency), sums)
  }
  const open = new Map<string, number>()
  for (const t of openPayouts)
    open.set(key(t.userId, t.currency), (open.get(key(t.userId, t.currency)) ?? 0) + t.amount)

  let count = 0
  for (const a of accounts) {
    count++
    const sums = fromLedger.get(key(a.userId, a.currency))
    for (const bucket of buckets) {
      const stored = storedValue(a, bucket)
      const computed = sums?.get(bucket) ?? 0
      if (stored !== computed) {
        differences.push({
          type: "BALANCE_MISMATCH",
          userId: a.userId,
          currency: a.currency,
          bucket,
          stored,
          fromLedger: computed
        })
      }
      if (bucket !== "funding" && stored < 0) {
        differences.push({ type: "NEGATIVE_BALANCE", userId: a.userId, currency: a.currency, bucket, value: stored })
      }
    }
    const openSum = open.get(key(a.userId, a.currency)) ?? 0
    if (openSum !== a.held) {
      differences.push({
        type: "HELD_MISMATCH",
        userId: a.userId,
        currency: a.currency,
        held: a.held,
        openPayouts: openSum
      })
    }
  }
  return { ok: differences.length === 0, accounts: count, differences }
}
