import type { Account, AuditEntry, Currency, Difference, LedgerEntry, Transaction, User } from "../domain/index.js"
import { toDecimalNumber } from "../domain/money.js"
import type { HistoryPage } from "../ports/PayoutStore.js"
import type { TransactionJson } from "./api/schemas.js"
import { encodeCursor } from "./cursor.js"

const iso = (ms: number) => new Date(ms).toISOString()

const processingDetails = (t: Transaction): TransactionJson["processingDetails"] => {
  const base = { initiatedAt: iso(t.createdAt), attempts: t.attempts }
  switch (t._tag) {
    case "scheduled":
      return { ...base, scheduledFor: iso(t.scheduledFor) }
    case "initiated":
      return base
    case "processing":
      return { ...base, processingStartedAt: iso(t.processingStartedAt) }
    case "completed":
      return {
        ...base,
        processingStartedAt: iso(t.processingStartedAt),
        completedAt: iso(t.completedAt),
        processingDurationMs: t.completedAt - t.processingStartedAt
      }
    case "failed":
      return {
        ...base,
        processingStartedAt: iso(t.processingStartedAt),
        failedAt: iso(t.failedAt),
        processingDurationMs: t.failedAt - t.processingStartedAt
      }
    case "canceled":
      return { ...base, canceledAt: iso(t.canceledAt) }
    case "returned":
      return {
        ...base,
        processingStartedAt: iso(t.processingStartedAt),
        completedAt: iso(t.completedAt),
        returnedAt: iso(t.returnedAt),
        processingDurationMs: t.completedAt - t.processingStartedAt
      }
  }
}

/** A transaction as docs/api.md shows it: decimal amount, ISO dates, no internal fields. */
export const transactionJson = (t: Transaction): TransactionJson => ({
  transactionId: t.transactionId,
  userId: t.userId,
  amount: toDecimalNumber(t.amount),
  currency: t.currency,
  status: t._tag,
  description: t.description,
  metadata: t.metadata,
  createdAt: iso(t.createdAt),
  updatedAt: iso(t.updatedAt),
  ...(t._tag === "failed" ? { failureReason: t.failureReason } : {}),
  ...(t._tag === "returned" ? { returnReason: t.returnReason } : {}),
  processingDetails: processingDetails(t)
})

const MONEY_KEYS = new Set(["amount", "stored", "fromLedger", "value", "held", "openPayouts", "available"])

/** Amounts inside audit details and reconcile differences are minor units: shown as decimals like every amount. */
const withDecimals = (record: Readonly<Record<string, unknown>>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, MONEY_KEYS.has(k) && typeof v === "number" ? toDecimalNumber(v) : v])
  )

export const auditJson = (e: AuditEntry) => ({ action: e.action, at: iso(e.at), details: withDecimals(e.details) })

export const differenceJson = (d: Difference): Record<string, unknown> => withDecimals(d)

export const userJson = (u: User) => ({
  userId: u.userId,
  name: u.name,
  email: u.email,
  currency: u.currency,
  status: u.status,
  /** Only the overrides an admin set; the settings' limits apply elsewhere. */
  limits: limitsJson(u.limits)
})

const limitsJson = (limits: User["limits"]) =>
  Object.fromEntries(
    Object.entries(limits ?? {}).map(([currency, l]) => [
      currency,
      {
        ...(l?.amount === undefined ? {} : { amount: toDecimalNumber(l.amount) }),
        ...(l?.count === undefined ? {} : { count: l.count })
      }
    ])
  )

export const balanceJson = (user: User, accounts: ReadonlyArray<Account>, currency: Currency | undefined) => {
  const shown = currency ?? user.currency
  const account = accounts.find((a) => a.currency === shown)
  const available = toDecimalNumber(account?.available ?? 0)
  return {
    success: true as const,
    userId: user.userId,
    currency: shown,
    balance: available,
    available,
    held: toDecimalNumber(account?.held ?? 0),
    balances: accounts.map((a) => ({
      currency: a.currency,
      available: toDecimalNumber(a.available),
      held: toDecimalNumber(a.held)
    }))
  }
}

export const accountJson = (a: Account) => ({
  currency: a.currency,
  available: toDecimalNumber(a.available),
  held: toDecimalNumber(a.held),
  paidOut: toDecimalNumber(a.paidOut)
})

/** A user as the admin sees it: with when it was created and every account's buckets. */
export const adminUserJson = (u: User, accounts: ReadonlyArray<Account>) => ({
  ...userJson(u),
  createdAt: iso(u.createdAt),
  accounts: accounts.map(accountJson)
})

/** A posting as a statement line: its amount (the credited leg) and the buckets after it, as decimals. */
export const ledgerEntryJson = (e: LedgerEntry) => ({
  seq: e.seq,
  postingId: e.postingId,
  kind: e.kind,
  amount: toDecimalNumber(Math.abs(e.lines[0]?.amount ?? 0)),
  currency: e.currency,
  transactionId: e.transactionId,
  createdAt: iso(e.at),
  balanceAfter: {
    available: toDecimalNumber(e.balanceAfter.available),
    held: toDecimalNumber(e.balanceAfter.held),
    paidOut: toDecimalNumber(e.balanceAfter.paidOut)
  }
})

/** A page of payouts (a user's history, the admin's list), with the cursor of the next one. */
export const payoutPageJson = (page: HistoryPage) => ({
  success: true as const,
  count: page.transactions.length,
  transactions: page.transactions.map(transactionJson),
  nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor)
})
