import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, HashSet, Layer, Ref, Schedule } from "effect"
import type { TransactionId } from "../../src/domain/index.js"
import { type PayoutMessage, PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { within } from "../contracts/time.js"
import { eventually, isolated, killConnections, message, queueLayer } from "./rabbitmq.support.js"

const start = (layer: Layer.Layer<PayoutQueue, unknown>) =>
  Layer.build(layer).pipe(Effect.map((context) => Context.get(context, PayoutQueue)))

describe("RabbitMQ PayoutQueue reconnection", () => {
  it.scopedLive("killing the connection mid-stream loses no confirmed message; both sides come back", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const queue = yield* start(queueLayer(names, connectionName, { publishTimeout: "20 seconds" }))
      const [before, during] = [300, 100]
      const received = yield* Ref.make(HashSet.empty<TransactionId>())
      const quarter = yield* Deferred.make<void>()
      const killed = yield* Deferred.make<void>()
      const all = yield* Deferred.make<void>()
      // past a quarter, handlers hold their deliveries unacked until the kill
      const handler = (m: PayoutMessage) =>
        Effect.gen(function* () {
          if (HashSet.size(yield* Ref.get(received)) >= before / 4) {
            yield* Deferred.succeed(quarter, undefined)
            yield* Deferred.await(killed)
          }
          const seen = yield* Ref.updateAndGet(received, HashSet.add(m.transactionId))
          if (HashSet.size(seen) >= before + during) yield* Deferred.succeed(all, undefined)
        })
      yield* queue.consume(handler, { concurrency: 10 }).pipe(Effect.forkScoped)

      const first = yield* Effect.all(Array.from({ length: before }, () => message))
      const second = yield* Effect.all(Array.from({ length: during }, () => message))
      yield* Effect.forEach(first, queue.publish, { concurrency: 20, discard: true })
      yield* Deferred.await(quarter).pipe(within("15 seconds", "a quarter of the messages"))
      // during the outage a publish fails at once; its sender (intake, Recovery) tries again later
      const refused = yield* Ref.make(0)
      const publishUntilConfirmed = (m: PayoutMessage) =>
        queue.publish(m).pipe(
          Effect.tapError(() => Ref.update(refused, (n) => n + 1)),
          Effect.retry(Schedule.spaced("50 millis"))
        )
      const trickle = yield* Effect.forEach(second, (m) => Effect.delay(publishUntilConfirmed(m), "10 millis"), {
        discard: true
      }).pipe(Effect.fork)
      expect((yield* queue.stats).inFlight).toBe(10)
      expect(yield* killConnections(connectionName)).toBe(1)
      yield* Deferred.succeed(killed, undefined)

      yield* Effect.flatMap(trickle.await, (exit) => exit).pipe(within("30 seconds", "every publish confirmed"))
      yield* Deferred.await(all).pipe(within("30 seconds", "every message consumed"))
      const seen = yield* Ref.get(received)
      expect([...first, ...second].filter((m) => !HashSet.has(seen, m.transactionId))).toEqual([])
      expect(yield* eventually(queue.stats, (s) => s.inFlight === 0 && s.ready === 0, "an empty queue")).toEqual({
        ready: 0,
        delayed: 0,
        dead: 0,
        inFlight: 0
      })
    })
  )

  it.scopedLive("a publish while the broker is known down fails at once, and works again after the reconnect", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const queue = yield* start(queueLayer(names, connectionName, { reconnect: Schedule.spaced("1 second") }))
      yield* killConnections(connectionName)
      const m = yield* message
      const refused = yield* queue.publish(m).pipe(Effect.flip, Effect.timed, within("5 seconds", "a refusal"))
      expect(refused[1]._tag).toBe("ServiceUnavailable")
      expect(Duration.toMillis(refused[0])).toBeLessThan(200)
      yield* queue.publish(m).pipe(Effect.retry(Schedule.spaced("50 millis")), within("15 seconds", "the reconnect"))
      expect(yield* eventually(queue.stats, (s) => s.ready === 1, "the message")).toMatchObject({ ready: 1 })
    })
  )

  it.scopedLive("losing the connection does not interrupt in-flight handlers: they run to their end", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const queue = yield* start(queueLayer(names, connectionName))
      const n = 5
      const started = yield* Ref.make(0)
      const finished = yield* Ref.make(HashSet.empty<TransactionId>())
      const interrupted = yield* Ref.make(0)
      const allStarted = yield* Deferred.make<void>()
      const go = yield* Deferred.make<void>()
      const handler = (m: PayoutMessage) =>
        Effect.gen(function* () {
          if ((yield* Ref.updateAndGet(started, (k) => k + 1)) === n) yield* Deferred.succeed(allStarted, undefined)
          yield* Deferred.await(go)
          yield* Ref.update(finished, HashSet.add(m.transactionId))
        }).pipe(Effect.onInterrupt(() => Ref.update(interrupted, (k) => k + 1)))
      yield* queue.consume(handler, { concurrency: n }).pipe(Effect.forkScoped)
      const sent = yield* Effect.all(Array.from({ length: n }, () => message))
      yield* Effect.forEach(sent, queue.publish, { discard: true })
      yield* Deferred.await(allStarted).pipe(within("10 seconds", "every handler started"))
      expect(yield* killConnections(connectionName)).toBe(1)
      yield* Deferred.succeed(go, undefined)
      // the first handlers finish although their channel is gone; their redelivered copies run again
      yield* eventually(Ref.get(finished), (s) => HashSet.size(s) === n, "every handler finished")
      expect(yield* Ref.get(interrupted)).toBe(0)
    })
  )
})
