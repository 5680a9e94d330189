import { describe, expect } from "@effect/vitest"
import { Effect, type Layer, Queue } from "effect"
import { eventIdOf, type PayoutEvent, TransactionId, UserId } from "../../src/domain/index.js"
import { Minor } from "../../src/domain/money.js"
import { EventBus } from "../../src/ports/EventBus.js"
import { scopedTest, type TimeControl, unique, within } from "./time.js"

export interface EventBusContractOptions {
  readonly time: TimeControl
}

const txn = (n: number) => TransactionId.make(`TXN_${n.toString(36).toUpperCase()}_${"0123456789ABCDEF"}`)

/** Events of one run, told apart from others on shared infrastructure by their userId. */
export const sampleEvent = (userId: UserId, n: number): PayoutEvent => ({
  eventId: eventIdOf(userId, n + 1),
  sequence: n + 1,
  type: "PAYOUT_INITIATED",
  transactionId: txn(n),
  userId,
  status: "initiated",
  amount: Minor.make(100 + n),
  currency: "USD",
  newBalance: Minor.make(1_000),
  timestamp: 1_700_000_000_000 + n
})

export const eventBusContract = <E>(
  name: string,
  layer: Layer.Layer<EventBus, E>,
  options: EventBusContractOptions
): void => {
  const test = scopedTest(options.time)
  const takeMine = (dequeue: Queue.Dequeue<PayoutEvent>, userId: UserId, n: number) =>
    Effect.gen(function* () {
      const mine: Array<PayoutEvent> = []
      while (mine.length < n) {
        const event = yield* Queue.take(dequeue)
        if (event.userId === userId) mine.push(event)
      }
      return mine
    }).pipe(within("5 seconds", `${n} events`))

  describe(`EventBus contract: ${name}`, () => {
    test("a subscriber receives an event published after subscribe returned, intact", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const userId = UserId.make(unique("u"))
        const dequeue = yield* bus.subscribe
        yield* bus.publish(sampleEvent(userId, 1))
        expect(yield* takeMine(dequeue, userId, 1)).toEqual([sampleEvent(userId, 1)])
      }).pipe(Effect.provide(layer)))

    test("every subscriber gets every event, in the publisher's order", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const userId = UserId.make(unique("u"))
        const first = yield* bus.subscribe
        const second = yield* bus.subscribe
        const events = Array.from({ length: 20 }, (_, i) => sampleEvent(userId, i))
        yield* Effect.forEach(events, bus.publish, { discard: true })
        expect(yield* takeMine(first, userId, 20)).toEqual(events)
        expect(yield* takeMine(second, userId, 20)).toEqual(events)
      }).pipe(Effect.provide(layer)))

    test("a subscription ends with its scope", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const dequeue = yield* Effect.scoped(bus.subscribe)
        expect(yield* Queue.isShutdown(dequeue)).toBe(true)
      }).pipe(Effect.provide(layer)))
  })
}
