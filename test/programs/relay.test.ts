import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Queue, TestClock } from "effect"
import { ServiceUnavailable, type UserId } from "../../src/domain/index.js"
import { EventBus } from "../../src/ports/EventBus.js"
import { EventLog } from "../../src/ports/EventLog.js"
import { EventRelay } from "../../src/programs/EventRelay.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { createUser, infra, programs, settings } from "./harness.js"

/** The memory bus, with a switch that makes every publish fail (Redis down). */
const busState = { down: false }
const flakyBus = Layer.effect(
  EventBus,
  Effect.map(EventBus, (bus) =>
    EventBus.of({
      ...bus,
      publish: (event) =>
        Effect.suspend(() =>
          busState.down ? Effect.fail(new ServiceUnavailable({ dependency: "redis" })) : bus.publish(event)
        )
    })
  )
)

const layer = Layer.mergeAll(programs, EventRelay.layer).pipe(
  Layer.provideMerge(flakyBus),
  Layer.provideMerge(infra()),
  Layer.provide(settings({ RELAY_INTERVAL_MS: "1000", EVENT_RETENTION_MS: "5000" }))
)

const submit = (userId: UserId, amount: string) =>
  Effect.flatMap(PayoutIntake, (intake) =>
    intake.submit({ actor: { userId, role: "user" }, body: { userId, amount }, idempotencyKey: null })
  )

const pendingFor = (userId: UserId) =>
  Effect.flatMap(EventLog, (log) => log.pending("bus", { recordedBefore: Number.MAX_SAFE_INTEGER, limit: 1_000 })).pipe(
    Effect.map((events) => events.filter((e) => e.event.userId === userId).map((e) => e.event.eventId))
  )

describe("EventRelay", () => {
  it.scoped("a publish that failed is delivered by the relay, late, once the bus answers again", () =>
    Effect.gen(function* () {
      const relay = yield* EventRelay
      const received = yield* Effect.flatMap(EventBus, (bus) => bus.subscribe)
      const userId = yield* createUser(10_000)
      busState.down = true
      yield* submit(userId, "1.00")
      yield* submit(userId, "2.00")
      expect(yield* pendingFor(userId)).toHaveLength(2)
      yield* TestClock.adjust(1_000)
      expect(yield* relay.runOnce).toBe(0) // still down: nothing published, nothing marked
      expect(yield* pendingFor(userId)).toHaveLength(2)
      busState.down = false
      expect(yield* relay.runOnce).toBe(2)
      expect(yield* pendingFor(userId)).toEqual([])
      const events = Chunk.toReadonlyArray(yield* Queue.takeAll(received)).filter((e) => e.userId === userId)
      expect(events.map((e) => [e.type, e.sequence])).toEqual([
        ["PAYOUT_INITIATED", 1],
        ["PAYOUT_INITIATED", 2]
      ])
      expect(yield* relay.runOnce).toBe(0)
    }).pipe(Effect.provide(layer), Effect.ensuring(Effect.sync(() => (busState.down = false))))
  )

  it.scoped("the fast path publishes at once and marks in a batch; the relay leaves young events to it", () =>
    Effect.gen(function* () {
      const relay = yield* EventRelay
      const received = yield* Effect.flatMap(EventBus, (bus) => bus.subscribe)
      const userId = yield* createUser(10_000)
      yield* submit(userId, "1.00")
      expect(Chunk.toReadonlyArray(yield* Queue.takeAll(received)).map((e) => e.sequence)).toEqual([1])
      // not marked yet (the marker flushes every 100 ms), but too young for the relay
      expect(yield* pendingFor(userId)).toHaveLength(1)
      expect(yield* relay.runOnce).toBe(0)
      yield* TestClock.adjust(100)
      expect(yield* pendingFor(userId)).toEqual([])
      yield* TestClock.adjust(1_000)
      expect(yield* relay.runOnce).toBe(0)
    }).pipe(Effect.provide(layer))
  )

  it.scoped("prune drops events past EVENT_RETENTION_MS only once every sink has them", () =>
    Effect.gen(function* () {
      const relay = yield* EventRelay
      const log = yield* EventLog
      const userId = yield* createUser(10_000)
      yield* submit(userId, "1.00")
      yield* TestClock.adjust(100)
      const all = () => log.read({ userId, after: 0, limit: 10 })
      yield* TestClock.adjust(5_001)
      yield* relay.pruneOnce
      expect(yield* all()).toHaveLength(1) // the bus has it, the webhooks not yet
      yield* log.markDelivered(
        "webhooks",
        (yield* all()).map((e) => e.event.eventId)
      )
      expect(yield* relay.pruneOnce).toBeGreaterThanOrEqual(1)
      expect(yield* all()).toEqual([])
    }).pipe(Effect.provide(layer))
  )
})
