import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { UserId } from "../../src/domain/index.js"
import * as MemoryStore from "../../src/ports/memory/payoutStore.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { seedUsers } from "../../src/programs/seed.js"

const alice = UserId.make("user_001")

describe("seedUsers", () => {
  it.effect("creates and funds the three users once; a second run changes nothing", () =>
    Effect.gen(function* () {
      const store = yield* PayoutStore
      expect(yield* seedUsers).toEqual(["user_001", "user_002", "user_003"])
      expect(yield* seedUsers).toEqual([])
      expect(yield* store.accounts(alice)).toMatchObject([{ currency: "USD", available: 1_000_000, funded: 1_000_000 }])
      expect((yield* store.reconcile).ok).toBe(true)
    }).pipe(Effect.provide(MemoryStore.layer))
  )

  it.effect("completes a seeder that died between creating and funding a user", () =>
    Effect.gen(function* () {
      const store = yield* PayoutStore
      yield* store.createUser({ userId: alice, name: "Alice Johnson", email: null, currency: "USD", status: "active" })
      expect(yield* seedUsers).toContain("user_001")
      expect(yield* store.accounts(alice)).toMatchObject([{ available: 1_000_000 }])
    }).pipe(Effect.provide(Layer.fresh(MemoryStore.layer)))
  )
})
