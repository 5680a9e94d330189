import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, TestClock } from "effect"
import { UserId } from "../../src/domain/index.js"
import * as MemoryLock from "../../src/ports/memory/userLock.js"
import { makeLease, makeReleaseSignals, UserLock } from "../../src/ports/UserLock.js"
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
      const gaveUp = yield* Effect.fork(signals.released(alice).wait)
      yield* TestClock.adjust(1)
      expect(signals.size()).toBe(1)
      yield* Fiber.interrupt(gaveUp)
      expect(signals.size()).toBe(0)

      const first = yield* Effect.fork(signals.released(alice).wait)
      const second = yield* Effect.fork(signals.released(alice).wait)
      const other = yield* Effect.fork(signals.released(bob).wait)
      yield* TestClock.adjust(1)
      signals.wake(alice)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect(other.unsafePoll()).toBeNull()
      expect(signals.size()).toBe(1)
      yield* Fiber.interrupt(other)
      expect(signals.size()).toBe(0)
      // a place taken and left without waiting (the second try won the lease)
      signals.released(bob).cancel()
      expect(signals.size()).toBe(0)
    })
  )
})

describe("UserLock memory under one user's crowd", () => {
  const layer = withSettings(lockContractSettings)(MemoryLock.layerConfig(leaseSettings))

  it.effect(
    "40 requests at once for one user all get the lease in turn: a release another waiter wins costs no retry",
    () =>
      Effect.gen(function* () {
        const lock = yield* UserLock
        const u = UserId.make("crowded-user")
        const outcomes = yield* Effect.all(
          Array.from({ length: 40 }, () => Effect.either(lock.withLease(u, Effect.yieldNow()))),
          { concurrency: "unbounded" }
        )
        expect(outcomes.filter((o) => o._tag === "Left")).toEqual([])
      }).pipe(Effect.provide(layer))
  )
})

describe("withLease over a lock whose answers take time (as Redis's do)", () => {
  it.effect(
    "a release that lands between a failed try and joining the line is not missed",
    () =>
      Effect.gen(function* () {
        const leases = yield* MemoryLock.makeLeases
        const u = UserId.make("slow-lock-user")
        yield* leases.tryAcquire(u, "holder", 5_000)
        // the waiter's first answer ("busy") is held back until the holder has released
        const answered = yield* Deferred.make<void>()
        const deliver = yield* Deferred.make<void>()
        let calls = 0
        const slowTry: typeof leases.tryAcquire = (userId, token, ttlMs) =>
          calls++ === 0
            ? Effect.zipLeft(
                leases.tryAcquire(userId, token, ttlMs),
                Effect.zipRight(Deferred.succeed(answered, undefined), Deferred.await(deliver))
              )
            : leases.tryAcquire(userId, token, ttlMs)
        const withLease = makeLease(
          slowTry,
          leases.release,
          { ttlMs: 5_000, retryDelayMs: 20, retryCount: 3 },
          leases.released
        )
        const waiter = yield* Effect.fork(withLease(u, Effect.void))
        yield* Deferred.await(answered)
        expect(yield* leases.release(u, "holder")).toBe(true) // nobody is in line yet: this wakes no one
        yield* Deferred.succeed(deliver, undefined)
        yield* Fiber.join(waiter) // the clock never moves: only the try after joining the line can get it
      }),
    5_000
  )
})
