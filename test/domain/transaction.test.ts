import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import {
  claimDecision,
  complete,
  deferAttempt,
  fail,
  initiate,
  isOpen,
  isRecoverable,
  minor,
  type Processing,
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
const lease = { owner: "w1", ms: 1_000 }

type Op = "start" | "complete" | "fail"

/** Applies an operation only where the types allow it, as the store does. */
const step = (t: Transaction, op: Op, at: number): Transaction => {
  switch (op) {
    case "start":
      return isOpen(t) ? startProcessing(t, lease, at) : t
    case "complete":
      return t._tag === "processing" ? complete(t, at) : t
    case "fail":
      return t._tag === "processing" ? fail(t, "no", at) : t
  }
}

describe("Transaction state machine", () => {
  it.prop(
    "any sequence of operations only moves forward, and a final state never moves",
    [fc.array(fc.constantFrom<Op>("start", "complete", "fail"), { maxLength: 30 })],
    ([ops]) => {
      let t: Transaction = fresh
      let finalSeen: Transaction | undefined
      ops.forEach((op, i) => {
        const next = step(t, op, i + 1)
        if (finalSeen) expect(next).toBe(finalSeen)
        if (!isOpen(next)) finalSeen ??= next
        if (next._tag === "initiated") expect(t._tag).toBe("initiated")
        expect(next.updatedAt).toBeGreaterThanOrEqual(t.updatedAt)
        expect(next.attempts).toBeGreaterThanOrEqual(t.attempts)
        expect(next.amount).toBe(100)
        t = next
      })
    }
  )

  it("records when each phase happened and counts attempts; a final state keeps no lease", () => {
    const p1 = startProcessing(fresh, lease, 10)
    const p2 = startProcessing(p1, { owner: "w2", ms: 500 }, 20)
    expect(p2).toMatchObject({
      _tag: "processing",
      attempts: 2,
      processingStartedAt: 10,
      updatedAt: 20,
      claimedBy: "w2",
      claimedUntil: 520
    })
    const done = complete(p2, 30)
    expect(done).toMatchObject({ _tag: "completed", completedAt: 30, processingStartedAt: 10 })
    expect(done).not.toHaveProperty("claimedBy")
    expect(fail(p2, "rail", 40)).toMatchObject({ _tag: "failed", failedAt: 40, failureReason: "rail" })
  })
})

describe("claimDecision: who may start the next attempt", () => {
  const live: Processing = startProcessing(fresh, lease, 0) // attempt 1, lease until 1000

  it("an initiated payout is claimed by the message that expects it, and only that one", () => {
    expect(claimDecision(fresh, 0, 0)._tag).toBe("Claim")
    expect(claimDecision(fresh, 1, 0)._tag).toBe("Stale")
  })

  it("a live lease is never taken over, whatever the message says", () => {
    expect(claimDecision(live, 0, 999)).toEqual({ _tag: "Busy", until: 1_000 })
    expect(claimDecision(live, 1, 999)).toEqual({ _tag: "Busy", until: 1_000 })
  })

  it("an expired lease is taken over by this attempt's message or the one that started it, not by older ones", () => {
    expect(claimDecision(live, 0, 1_000)._tag).toBe("Claim")
    expect(claimDecision(live, 1, 1_000)._tag).toBe("Claim")
    const third = startProcessing(startProcessing(live, lease, 2_000), lease, 4_000) // attempt 3
    expect(claimDecision(third, 0, 10_000)._tag).toBe("Stale")
    expect(claimDecision(third, 1, 10_000)._tag).toBe("Stale")
    expect(claimDecision(third, 4, 10_000)._tag).toBe("Stale")
  })

  it("a final payout is stale for every message", () => {
    for (const expected of [0, 1, 2]) {
      expect(claimDecision(complete(live, 5), expected, 10_000)._tag).toBe("Stale")
      expect(claimDecision(fail(live, "x", 5), expected, 10_000)._tag).toBe("Stale")
    }
  })

  it("Recovery leaves live attempts and recently queued payouts alone", () => {
    expect(isRecoverable(fresh, 59_999, 60_000)).toBe(false)
    expect(isRecoverable(fresh, 60_000, 60_000)).toBe(true)
    expect(isRecoverable(live, 999, 0)).toBe(false)
    expect(isRecoverable(live, 1_000, 0)).toBe(true)
    const deferred = deferAttempt(live, 5_000, 500)
    expect(isRecoverable(deferred, 5_999, 1_000)).toBe(false)
    expect(isRecoverable(deferred, 6_000, 1_000)).toBe(true)
    expect(isRecoverable(complete(live, 5), 1e12, 0)).toBe(false)
  })
})
