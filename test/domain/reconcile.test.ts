import { describe, expect, it } from "vitest"
import {
  type Account,
  type Bucket,
  initiate,
  makePosting,
  minor,
  type PostingKind,
  reconcile,
  TransactionId,
  UserId
} from "../../src/domain/index.js"

const userId = UserId.make("user_r1")
const transactionId = TransactionId.make("TXN_M3K9Z1AB_4F1C0D2E9A7B3C11")
const post = (kind: PostingKind, cents: number, n: number) =>
  makePosting({
    kind,
    userId,
    currency: "USD",
    transactionId: kind === "FUND" ? null : transactionId,
    amount: minor(cents),
    at: n,
    postingId: `p${n}`
  })

// Funded 1000, 300 reserved and still open: available 700, held 300.
const postings = [post("FUND", 1_000, 1), post("RESERVE", 300, 2)]
const payout = { transactionId, userId, amount: minor(300), currency: "USD", description: null, metadata: {} } as const
const open = [initiate(payout, 2)]
const right: Account = {
  userId,
  currency: "USD",
  available: minor(700),
  held: minor(300),
  paidOut: minor(0),
  funded: minor(1_000)
}

describe("reconcile", () => {
  it("passes balances that match the ledger", () => {
    expect(reconcile([right], postings, open)).toEqual({ ok: true, accounts: 1, differences: [] })
  })

  // [field, its ledger bucket, stored as the ledger reads it, what the ledger says]
  const wrong: ReadonlyArray<readonly ["available" | "paidOut" | "funded", Bucket, number, number]> = [
    ["available", "available", 701, 700],
    ["paidOut", "paidOut", 1, 0],
    ["funded", "funding", -1_001, -1_000]
  ]
  for (const [field, bucket, stored, fromLedger] of wrong) {
    it(`finds a stored ${field} that differs from the ledger by one cent`, () => {
      const account = { ...right, [field]: minor(field === "funded" ? -stored : stored) }
      const report = reconcile([account], postings, open)
      expect(report.ok).toBe(false)
      expect(report.differences).toEqual([
        { type: "BALANCE_MISMATCH", userId, currency: "USD", bucket, stored, fromLedger }
      ])
    })
  }

  it("finds a held balance that matches the open payouts but not the ledger", () => {
    const report = reconcile([{ ...right, held: minor(400) }], postings, [
      ...open,
      initiate({ ...payout, transactionId: TransactionId.make("TXN_M3K9Z1AB_4F1C0D2E9A7B3C12"), amount: minor(100) }, 3)
    ])
    expect(report.differences).toEqual([
      { type: "BALANCE_MISMATCH", userId, currency: "USD", bucket: "held", stored: 400, fromLedger: 300 }
    ])
  })

  it("finds money on an account the ledger never saw", () => {
    const stray: Account = {
      ...right,
      userId: UserId.make("user_r2"),
      held: minor(0),
      available: minor(5),
      funded: minor(5)
    }
    const report = reconcile([right, stray], postings, open)
    expect(report.ok).toBe(false)
    expect(report.differences.map((d) => d.type === "BALANCE_MISMATCH" && d.bucket)).toEqual(["funding", "available"])
  })
})
