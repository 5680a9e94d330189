import { describe, expect } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, type Layer, Queue, Ref } from "effect"
import { makeTransactionId, UserId } from "../../src/domain/index.js"
import { type PayoutMessage, PayoutQueue, type QueueStats } from "../../src/ports/PayoutQueue.js"
import { eventually, scopedTest, type TimeControl, within } from "./time.js"

export interface PayoutQueueContractOptions<R> {
  readonly time: TimeControl
  /** As the layer is configured: the wait before a failed delivery returns, and the failed deliveries before it is dead-lettered. */
  readonly redeliveryDelayMs: number
  readonly maxDeliveries: number
  /** Puts a raw body on the work queue; the poison test runs only when given. */
  readonly injectRaw?: (raw: unknown) => Effect.Effect<void, unknown, R>
}

const message = Effect.map(
  makeTransactionId,
  (transactionId): PayoutMessage => ({ transactionId, userId: UserId.make("queue-user"), expectedAttempts: 0 })
)
const idle: QueueStats = { ready: 0, inFlight: 0, delayed: 0, dead: 0 }
const same = (a: QueueStats) => (b: QueueStats) =>
  a.ready === b.ready && a.inFlight === b.inFlight && a.delayed === b.delayed && a.dead === b.dead

/**
 * Each build of `layer` must start from an empty broker (a fresh memory queue;
 * unique or purged queues on RabbitMQ): every test builds its own.
 */
export const payoutQueueContract = <E, R>(
  name: string,
  layer: Layer.Layer<PayoutQueue | R, E>,
  options: PayoutQueueContractOptions<R>
): void => {
  const { time, redeliveryDelayMs, maxDeliveries } = options
  const test = scopedTest(time)
  const settled = (expected: QueueStats) =>
    eventually(time, `stats ${JSON.stringify(expected)}`)(
      Effect.flatMap(PayoutQueue, (q) => q.stats),
      same(expected)
    )
  /** A consumer that records what it gets; `behave` decides each delivery's outcome. */
  const consumer = (
    behave: (message: PayoutMessage, delivery: number) => Effect.Effect<void, string> = () => Effect.void,
    concurrency = 1
  ) =>
    Effect.gen(function* () {
      const queue = yield* PayoutQueue
      const got = yield* Queue.unbounded<PayoutMessage>()
      const redelivered = yield* Queue.unbounded<boolean>()
      const count = yield* Ref.make(0)
      const fiber = yield* Effect.forkScoped(
        queue.consume(
          (m, delivery) =>
            Ref.updateAndGet(count, (n) => n + 1).pipe(
              Effect.tap(() => Queue.offer(redelivered, delivery.redelivered)),
              Effect.tap(() => Queue.offer(got, m)),
              Effect.flatMap((n) => behave(m, n))
            ),
          { concurrency }
        )
      )
      const next = Queue.take(got).pipe(within("5 seconds", "a delivery"))
      return { got, next, fiber, redelivered: Queue.takeAll(redelivered).pipe(Effect.map(Chunk.toReadonlyArray)) }
    })

  describe(`PayoutQueue contract: ${name}`, () => {
    test("a published message is delivered once and acked on success", () =>
      Effect.gen(function* () {
        const queue = yield* PayoutQueue
        const m = yield* message
        yield* queue.publish(m)
        const { got, next } = yield* consumer()
        expect(yield* next).toEqual(m)
        yield* settled(idle)
        yield* time.advance(redeliveryDelayMs * 2)
        expect(yield* Queue.size(got)).toBe(0)
      }).pipe(Effect.provide(layer)))

    test("stats count ready and delayed messages", () =>
      Effect.gen(function* () {
        const queue = yield* PayoutQueue
        yield* queue.publish(yield* message)
        yield* queue.publish(yield* message)
        yield* queue.publishDelayed(yield* message, 60_000)
        yield* settled({ ready: 2, inFlight: 0, delayed: 1, dead: 0 })
      }).pipe(Effect.provide(layer)))

    test("a failed or dying handler gets the message again after the redelivery delay", () =>
      Effect.gen(function* () {
        const queue = yield* PayoutQueue
        const m = yield* message
        yield* queue.publish(m)
        const {
          got,
          next,
          redelivered: flags
        } = yield* consumer((_, n) => (n === 1 ? Effect.fail("boom") : n === 2 ? Effect.die("bang") : Effect.void))
        expect(yield* next).toEqual(m)
        yield* settled({ ...idle, delayed: 1 })
        yield* time.advance(redeliveryDelayMs / 2)
        expect(yield* Queue.size(got)).toBe(0)
        yield* time.advance(redeliveryDelayMs)
        expect(yield* next).toEqual(m)
        yield* time.advance(redeliveryDelayMs * 1.5)
        expect(yield* next).toEqual(m)
        yield* settled(idle)
        expect(yield* flags).toEqual([false, true, true])
      }).pipe(Effect.provide(layer)))

    test(`a message that fails ${maxDeliveries} deliveries goes to the dead letters`, () =>
      Effect.gen(function* () {
        const queue = yield* PayoutQueue
        yield* queue.publish(yield* message)
        const { got, next } = yield* consumer(() => Effect.fail("always"))
        for (let i = 0; i < maxDeliveries; i++) {
          yield* next
          yield* time.advance(redeliveryDelayMs * 1.5)
        }
        yield* settled({ ...idle, dead: 1 })
        yield* time.advance(redeliveryDelayMs * 2)
        expect(yield* Queue.size(got)).toBe(0)
      }).pipe(Effect.provide(layer)))

    test("interrupting the consumer requeues its in-flight messages at once", () =>
      Effect.gen(function* () {
        const queue = yield* PayoutQueue
        const sent = [yield* message, yield* message]
        yield* Effect.forEach(sent, queue.publish, { discard: true })
        const first = yield* consumer(() => Effect.never, 2)
        yield* first.next
        yield* first.next
        yield* settled({ ...idle, inFlight: 2 })
        yield* Fiber.interrupt(first.fiber)
        yield* settled({ ...idle, ready: 2 })
        const second = yield* consumer()
        const again = [yield* second.next, yield* second.next]
        expect(new Set(again.map((m) => m.transactionId))).toEqual(new Set(sent.map((m) => m.transactionId)))
        yield* settled(idle)
        expect(yield* first.redelivered).toEqual([false, false])
        expect(yield* second.redelivered).toEqual([true, true])
      }).pipe(Effect.provide(layer)))

    test("a delayed message arrives only after its delay", () =>
      Effect.gen(function* () {
        const queue = yield* PayoutQueue
        const m = yield* message
        const { got, next } = yield* consumer()
        yield* queue.publishDelayed(m, 300)
        yield* settled({ ...idle, delayed: 1 })
        yield* time.advance(150)
        expect(yield* Queue.size(got)).toBe(0)
        yield* time.advance(250)
        expect(yield* next).toEqual(m)
        yield* settled(idle)
      }).pipe(Effect.provide(layer)))

    test("no more than `concurrency` deliveries run at once", () =>
      Effect.gen(function* () {
        const queue = yield* PayoutQueue
        yield* Effect.forEach(Array.from({ length: 5 }), () => Effect.flatMap(message, queue.publish), {
          discard: true
        })
        const gate = yield* Deferred.make<void>()
        const running = yield* Ref.make({ now: 0, max: 0 })
        const done = yield* Queue.unbounded<void>()
        const enter = Ref.update(running, ({ now, max }) => ({ now: now + 1, max: Math.max(max, now + 1) }))
        const leave = Ref.update(running, ({ now, max }) => ({ now: now - 1, max }))
        const { got, next } = yield* consumer(
          () =>
            enter.pipe(
              Effect.zipRight(Deferred.await(gate)),
              Effect.zipRight(leave),
              Effect.zipRight(Queue.offer(done, undefined))
            ),
          2
        )
        yield* next
        yield* next
        yield* settled({ ...idle, ready: 3, inFlight: 2 })
        yield* time.advance(50)
        expect(yield* Queue.size(got)).toBe(0)
        yield* Deferred.succeed(gate, undefined)
        yield* Effect.replicateEffect(Queue.take(done), 5).pipe(within("5 seconds", "five deliveries"))
        expect((yield* Ref.get(running)).max).toBe(2)
        yield* settled(idle)
      }).pipe(Effect.provide(layer)))

    const injectRaw = options.injectRaw
    if (injectRaw !== undefined) {
      test("an undecodable message goes to the dead letters without reaching the handler", () =>
        Effect.gen(function* () {
          const queue = yield* PayoutQueue
          const m = yield* message
          yield* injectRaw({ transactionId: "not a transaction", userId: 7 })
          yield* queue.publish(m)
          const { got, next } = yield* consumer()
          expect(yield* next).toEqual(m)
          yield* settled({ ...idle, dead: 1 })
          expect(yield* Queue.size(got)).toBe(0)
        }).pipe(Effect.provide(layer)))
    }
  })
}
