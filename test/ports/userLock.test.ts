import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import { UserId } from "../../src/domain/index.js"
import * as MemoryLock from "../../src/ports/memory/userLock.js"
import { leaseSchedule, UserLock } from "../../src/ports/UserLock.js"
import { leaseSettings } from "../../src/settings.js"
import { testClock, withSettings } from "../contracts/time.js"
import { lockContractSettings, userLockContract } from "../contracts/userLock.js"

userLockContract("memory", MemoryLock.layerConfig(leaseSettings), { time: testClock })

describe("UserLock memory", () => {
  const layer = withSettings(lockContractSettings)(MemoryLock.layerConfig(leaseSettings))

  it.scoped("lease takes no longer than its bounded, jittered schedule", () =>
    Effect.gen(function* () {
      const lock = yield* UserLock
      const u = UserId.make("busy-user")
      yield* lock.tryAcquire(u, "holder", 60_000)
      const fiber = yield* Effect.fork(Effect.scoped(lock.lease(u)))
      yield* TestClock.adjust(15)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(3 * 20 * 1.2 - 15)
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(error._tag).toBe("ConcurrentRequest")
    }).pipe(Effect.provide(layer))
  )

  it.effect("the schedule retries retryCount times", () =>
    Effect.gen(function* () {
      const attempts: Array<number> = []
      const fiber = yield* Effect.fork(
        Effect.sync(() => attempts.push(attempts.length)).pipe(
          Effect.zipRight(Effect.fail("busy")),
          Effect.retry(leaseSchedule({ ttlMs: 1, retryDelayMs: 100, retryCount: 4 }))
        )
      )
      yield* TestClock.adjust(10_000)
      yield* Fiber.await(fiber)
      expect(attempts).toHaveLength(5)
    })
  )
})
