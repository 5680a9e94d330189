import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  canMove,
  complete,
  fail,
  initiate,
  isOpen,
  minor,
  startProcessing,
  type Transaction,
  TransactionId,
  UserId
} from "../../src/domain/index.js"

const fresh = initiate(
  {
    transactionId: TransactionId.make("TXN_ABC_0123456789ABCDEF"),
    userId: UserId.make("user_001"),
    amount: minor(100),
    currency: "USD",
    description: null,
    metadata: {}
  },
  0
)

type Op = "start" | "complete" | "fail"

/** Applies an operation only where the types allow it, as the store does. */
const step = (t: Transaction, op: Op, at: number): Transaction => {
  switch (op) {
    case "start":
      return isOpen(t) ? startProcessing(t, at) : t
    case "complete":
      return t._tag === "processing" ? complete(t, at) : t
    case "fail":
      return t._tag === "processing" ? fail(t, "no", at) : t
  }
}

describe("Transaction state machine", () => {
  it.prop(
    "any sequence of operations only takes legal moves, and a final state never moves",
    [fc.array(fc.constantFrom<Op>("start", "complete", "fail"), { maxLength: 30 })],
    ([ops]) => {
      let t: Transaction = fresh
      let finalSeen: Transaction | undefined
      ops.forEach((op, i) => {
        const next = step(t, op, i + 1)
        if (next !== t) expect(canMove(t._tag, next._tag)).toBe(true)
        if (finalSeen) expect(next).toBe(finalSeen)
        if (!isOpen(next)) finalSeen ??= next
        expect(next.updatedAt).toBeGreaterThanOrEqual(t.updatedAt)
        expect(next.attempts).toBeGreaterThanOrEqual(t.attempts)
        expect(next.amount).toBe(100)
        t = next
      })
    }
  )

  it("records when each phase happened and counts attempts", () => {
    const p1 = startProcessing(fresh, 10)
    const p2 = startProcessing(p1, 20)
    expect(p2).toMatchObject({ _tag: "processing", attempts: 2, processingStartedAt: 10, updatedAt: 20 })
    expect(complete(p2, 30)).toMatchObject({ _tag: "completed", completedAt: 30, processingStartedAt: 10 })
    expect(fail(p2, "rail", 40)).toMatchObject({ _tag: "failed", failedAt: 40, failureReason: "rail" })
  })

  it("has no way out of completed or failed", () => {
    for (const to of ["initiated", "processing", "completed", "failed"] as const) {
      expect(canMove("completed", to)).toBe(false)
      expect(canMove("failed", to)).toBe(false)
      expect(canMove(to, "initiated")).toBe(false)
    }
  })
})
