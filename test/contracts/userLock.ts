import { describe, expect } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, type Layer } from "effect"
import { UserId } from "../../src/domain/index.js"
import { UserLock } from "../../src/ports/UserLock.js"
import { scopedTest, type TimeControl, unique, within, withSettings } from "./time.js"

export interface UserLockContractOptions {
  readonly time: TimeControl
}

/** Lease settings every layer is built with here: 3 retries about 20 ms apart. */
export const lockContractSettings = { LOCK_TTL_MS: "5000", LOCK_RETRY_DELAY_MS: "20", LOCK_RETRY_COUNT: "3" }

export const userLockContract = <E>(
  name: string,
  layer: Layer.Layer<UserLock, E>,
  options: UserLockContractOptions
): void => {
  const { time } = options
  const test = scopedTest(time)
  const provided = withSettings(lockContractSettings)(layer)
  const user = () => UserId.make(unique("u"))

  describe(`UserLock contract: ${name}`, () => {
    test("tryAcquire is SET NX: one token at a time, even the same one twice", () =>
      Effect.gen(function* () {
        const lock = yield* UserLock
        const u = user()
        expect(yield* lock.tryAcquire(u, "a", 5_000)).toBe(true)
        expect(yield* lock.tryAcquire(u, "b", 5_000)).toBe(false)
        expect(yield* lock.tryAcquire(u, "a", 5_000)).toBe(false)
        expect(yield* lock.tryAcquire(user(), "b", 5_000)).toBe(true)
      }).pipe(Effect.provide(provided)))

    test("release deletes only for the token that holds the lease", () =>
      Effect.gen(function* () {
        const lock = yield* UserLock
        const u = user()
        yield* lock.tryAcquire(u, "a", 5_000)
        expect(yield* lock.release(u, "b")).toBe(false)
        expect(yield* lock.tryAcquire(u, "b", 5_000)).toBe(false)
        expect(yield* lock.release(u, "a")).toBe(true)
        expect(yield* lock.release(u, "a")).toBe(false)
        expect(yield* lock.tryAcquire(u, "b", 5_000)).toBe(true)
      }).pipe(Effect.provide(provided)))

    test("a lease expires after its ttl", () =>
      Effect.gen(function* () {
        const lock = yield* UserLock
        const u = user()
        yield* lock.tryAcquire(u, "a", 100)
        expect(yield* lock.tryAcquire(u, "b", 100)).toBe(false)
        yield* time.advance(150)
        expect(yield* lock.tryAcquire(u, "b", 5_000)).toBe(true)
      }).pipe(Effect.provide(provided)))

    test("the first owner's release does not delete a lease that expired and was taken over", () =>
      Effect.gen(function* () {
        const lock = yield* UserLock
        const u = user()
        yield* lock.tryAcquire(u, "first", 100)
        yield* time.advance(150)
        expect(yield* lock.tryAcquire(u, "second", 5_000)).toBe(true)
        expect(yield* lock.release(u, "first")).toBe(false)
        expect(yield* lock.tryAcquire(u, "third", 5_000)).toBe(false)
      }).pipe(Effect.provide(provided)))

    test("withLease holds the lease while its effect runs and releases it after", () =>
      Effect.gen(function* () {
        const lock = yield* UserLock
        const u = user()
        yield* lock.withLease(
          u,
          Effect.gen(function* () {
            expect(yield* lock.tryAcquire(u, "other", 5_000)).toBe(false)
          })
        )
        expect(yield* lock.tryAcquire(u, "other", 5_000)).toBe(true)
      }).pipe(Effect.provide(provided)))

    test("withLease releases when its effect fails or is interrupted", () =>
      Effect.gen(function* () {
        const lock = yield* UserLock
        const u = user()
        const failed = yield* Effect.exit(lock.withLease(u, Effect.fail("boom")))
        expect(Exit.isFailure(failed)).toBe(true)
        expect(yield* lock.tryAcquire(u, "probe", 5_000)).toBe(true)
        yield* lock.release(u, "probe")

        const held = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          lock.withLease(u, Effect.zipRight(Deferred.succeed(held, undefined), Effect.never))
        )
        yield* Deferred.await(held).pipe(within("5 seconds", "the lease"))
        yield* Fiber.interrupt(fiber)
        expect(yield* lock.tryAcquire(u, "probe", 5_000)).toBe(true)
      }).pipe(Effect.provide(provided)))

    test("withLease waits while the lease is busy and takes it once freed", () =>
      Effect.gen(function* () {
        const lock = yield* UserLock
        const u = user()
        yield* lock.tryAcquire(u, "holder", 5_000)
        const held = yield* Deferred.make<void>()
        const done = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(
          lock.withLease(u, Effect.zipRight(Deferred.succeed(held, undefined), Deferred.await(done)))
        )
        yield* time.advance(10)
        expect(yield* lock.release(u, "holder")).toBe(true)
        yield* time.advance(30)
        yield* Deferred.await(held).pipe(within("5 seconds", "the lease"))
        expect(yield* lock.tryAcquire(u, "other", 5_000)).toBe(false)
        yield* Deferred.succeed(done, undefined)
        yield* Fiber.join(fiber)
        expect(yield* lock.tryAcquire(u, "other", 5_000)).toBe(true)
      }).pipe(Effect.provide(provided)))

    test("withLease fails with ConcurrentRequest once its retries run out", () =>
      Effect.gen(function* () {
        const lock = yield* UserLock
        const u = user()
        yield* lock.tryAcquire(u, "holder", 5_000)
        const fiber = yield* Effect.fork(lock.withLease(u, Effect.void))
        yield* time.advance(200)
        const error = yield* Fiber.join(fiber).pipe(Effect.flip, within("5 seconds", "the lease to give up"))
        expect(error).toMatchObject({ _tag: "ConcurrentRequest", userId: u })
        expect(yield* lock.release(u, "holder")).toBe(true)
      }).pipe(Effect.provide(provided)))
  })
}
