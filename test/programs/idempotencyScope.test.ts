import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { administer, UserId } from "../../src/domain/index.js"
import { Accounts } from "../../src/programs/Accounts.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { createUser, testLayer, usd } from "./harness.js"

const submit = (userId: UserId, amount: number, idempotencyKey: string) =>
  Effect.flatMap(PayoutIntake, (intake) =>
    intake.submit({ actor: { userId, role: "user" }, body: { userId, amount }, idempotencyKey })
  )

const admin = Effect.orDie(administer({ userId: UserId.make("ops_admin"), role: "admin" }, "admin"))

const credit = (userId: UserId, amount: string, idempotencyKey: string) =>
  Effect.flatMap(Effect.zip(Accounts, admin), ([accounts, proof]) =>
    accounts.credit(proof, userId, { amount, currency: "USD" }, idempotencyKey)
  )

describe("Idempotency-Key scope: per user", () => {
  it.effect("two users sending the same key and body each get their own payout", () =>
    Effect.gen(function* () {
      const alice = yield* createUser(10_000)
      const bob = yield* createUser(10_000)
      const first = yield* submit(alice, 25, "order-1")
      const second = yield* submit(bob, 25, "order-1")
      expect(second.replayed).toBe(false)
      expect(second.transactionId).not.toBe(first.transactionId)
      expect(yield* usd(alice)).toMatchObject({ available: 7_500, held: 2_500 })
      expect(yield* usd(bob)).toMatchObject({ available: 7_500, held: 2_500 })
      // and each user's key still replays that user's payout
      expect(yield* submit(bob, 25, "order-1")).toMatchObject({ replayed: true, transactionId: second.transactionId })
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("two users credited with the same key and body each get their own credit", () =>
    Effect.gen(function* () {
      const alice = yield* createUser(0)
      const bob = yield* createUser(0)
      const first = yield* credit(alice, "250.00", "fund-1")
      const second = yield* credit(bob, "250.00", "fund-1")
      expect(first).toMatchObject({ userId: alice, available: 25_000, replayed: false })
      expect(second).toMatchObject({ userId: bob, available: 25_000, replayed: false })
      expect(yield* usd(alice)).toMatchObject({ available: 25_000, funded: 25_000 })
      expect(yield* usd(bob)).toMatchObject({ available: 25_000, funded: 25_000 })
      expect(yield* credit(bob, "250.00", "fund-1")).toMatchObject({ available: 25_000, replayed: true })
      expect(yield* usd(bob)).toMatchObject({ available: 25_000 })
    }).pipe(Effect.provide(testLayer()))
  )
})
