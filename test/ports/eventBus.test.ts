import { describe, expect, it } from "@effect/vitest"
import { Effect, Queue } from "effect"
import { UserId } from "../../src/domain/index.js"
import { EventBus } from "../../src/ports/EventBus.js"
import * as MemoryEventBus from "../../src/ports/memory/eventBus.js"
import { eventBusContract, sampleEvent } from "../contracts/eventBus.js"
import { testClock } from "../contracts/time.js"

eventBusContract("memory", MemoryEventBus.layer, { time: testClock })

describe("EventBus memory", () => {
  it.scoped("events published before a subscription are not replayed to it", () =>
    Effect.gen(function* () {
      const bus = yield* EventBus
      const userId = UserId.make("late-user")
      yield* bus.publish(sampleEvent(userId, 1))
      const dequeue = yield* bus.subscribe
      yield* bus.publish(sampleEvent(userId, 2))
      expect(yield* Queue.takeAll(dequeue)).toHaveLength(1)
    }).pipe(Effect.provide(MemoryEventBus.layer))
  )
})
