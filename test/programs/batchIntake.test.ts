import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { UserId } from "../../src/domain/index.js"
import { PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { createUser, testLayer, usd } from "./harness.js"

const submitBatch = (actor: UserId, body: unknown, idempotencyKey: string | null = null) =>
  Effect.flatMap(PayoutIntake, (intake) =>
    intake.submitBatch({ actor: { userId: actor, role: "user" }, body, idempotencyKey })
  )

describe("PayoutIntake.submitBatch", () => {
  it.effect("accepted items are real payouts, queued like single ones; a replay makes and queues nothing new", () =>
    Effect.gen(function* () {
      const userId = yield* createUser(10_000)
      const body = {
        atomic: false,
        items: [
          { userId, amount: "10.00" },
          { userId, amount: "500.00" },
          { userId, amount: 5 }
        ]
      }
      const done = yield* submitBatch(userId, body, "b-1")
      expect(done.batch.items.map((i) => i._tag)).toEqual(["accepted", "rejected", "accepted"])
      expect((yield* Effect.flatMap(PayoutQueue, (q) => q.stats)).ready).toBe(2)
      expect(yield* usd(userId)).toMatchObject({ available: 8_500, held: 1_500 })
      const again = yield* submitBatch(userId, body, "b-1")
      expect([again.replayed, again.batch.batchId]).toEqual([true, done.batch.batchId])
      expect((yield* Effect.flip(submitBatch(userId, { ...body, atomic: true }, "b-1")))._tag).toBe(
        "IdempotencyKeyReused"
      )
      expect((yield* Effect.flatMap(PayoutQueue, (q) => q.stats)).ready).toBe(2)
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("an item for another user refuses the batch (403) before anything moves; a bad item names its index", () =>
    Effect.gen(function* () {
      const alice = yield* createUser(1_000)
      const bob = yield* createUser(1_000)
      const forbidden = yield* Effect.flip(
        submitBatch(alice, {
          atomic: true,
          items: [
            { userId: alice, amount: 1 },
            { userId: bob, amount: 1 }
          ]
        })
      )
      expect(forbidden._tag).toBe("Forbidden")
      const bad = yield* Effect.flip(
        submitBatch(alice, {
          atomic: true,
          items: [
            { userId: alice, amount: 1 },
            { userId: alice, amount: "1.001" }
          ]
        })
      )
      expect(bad._tag === "ValidationError" && [bad.message, bad.details]).toEqual([
        "Invalid payout batch: item 1",
        [{ field: "items.1.amount", message: "amount must have at most 2 decimal places" }]
      ])
      expect(yield* usd(alice)).toMatchObject({ available: 1_000, held: 0 })
    }).pipe(Effect.provide(testLayer()))
  )
})
