import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, HashSet, Layer, Ref } from "effect"
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
      const trickle = yield* Effect.forEach(second, (m) => Effect.delay(queue.publish(m), "10 millis"), {
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

  it.scopedLive("a publish during an outage waits for the reconnect", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const queue = yield* start(queueLayer(names, connectionName))
      yield* killConnections(connectionName)
      yield* Effect.flatMap(message, queue.publish)
      expect((yield* queue.stats).ready).toBe(1)
    })
  )
})
