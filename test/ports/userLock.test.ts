import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, TestClock } from "effect"
import { UserId } from "../../src/domain/index.js"
import * as MemoryLock from "../../src/ports/memory/userLock.js"
import { makeReleaseSignals, UserLock } from "../../src/ports/UserLock.js"
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
      const fiber = yield* Effect.fork(lock.withLease(u, Effect.void))
      yield* TestClock.adjust(15)
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust(3 * 20 * 1.2 - 15)
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      expect(error._tag).toBe("ConcurrentRequest")
    }).pipe(Effect.provide(layer))
  )

  it.scoped("a waiter takes the lease as soon as its holder releases it, without waiting out the retry delay", () =>
    Effect.gen(function* () {
      const lock = yield* UserLock
      const u = UserId.make("queued-user")
      const release = yield* Deferred.make<void>()
      const holding = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(
        lock.withLease(u, Effect.zipRight(Deferred.succeed(holding, undefined), Deferred.await(release)))
      )
      yield* Deferred.await(holding)
      const waiter = yield* Effect.fork(lock.withLease(u, Effect.void))
      yield* TestClock.adjust(1) // the waiter has tried once and waits (the retry delay is 20 ms here)
      expect(waiter.unsafePoll()).toBeNull()
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(waiter) // no further clock movement: the release woke it
    }).pipe(Effect.provide(layer))
  )

  it.scoped("a waiter gives up after retryCount retries, whatever releases other users get", () =>
    Effect.gen(function* () {
      const lock = yield* UserLock
      const busy = UserId.make("stuck-user")
      yield* lock.tryAcquire(busy, "holder", 60_000)
      const waiter = yield* Effect.fork(lock.withLease(busy, Effect.void))
      for (let i = 0; i < 5; i++) {
        yield* lock.withLease(UserId.make(`other-${i}`), Effect.void)
        yield* TestClock.adjust(1)
      }
      expect(waiter.unsafePoll()).toBeNull()
      yield* TestClock.adjust(3 * 20 * 1.2)
      expect((yield* Fiber.join(waiter).pipe(Effect.flip))._tag).toBe("ConcurrentRequest")
    }).pipe(Effect.provide(layer))
  )
})

describe("release signals", () => {
  it.effect("a waiter that stops waiting leaves nothing behind; a wake reaches every waiter of that user only", () =>
    Effect.gen(function* () {
      const signals = makeReleaseSignals()
      const alice = UserId.make("alice")
      const bob = UserId.make("bob")
      const gaveUp = yield* Effect.fork(signals.released(alice))
      yield* TestClock.adjust(1)
      expect(signals.size()).toBe(1)
      yield* Fiber.interrupt(gaveUp)
      expect(signals.size()).toBe(0)

      const first = yield* Effect.fork(signals.released(alice))
      const second = yield* Effect.fork(signals.released(alice))
      const other = yield* Effect.fork(signals.released(bob))
      yield* TestClock.adjust(1)
      signals.wake(alice)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect(other.unsafePoll()).toBeNull()
      expect(signals.size()).toBe(1)
      yield* Fiber.interrupt(other)
      expect(signals.size()).toBe(0)
    })
  )
})
