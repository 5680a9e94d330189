import { describe, expect, it } from "@effect/vitest"
import { Config, Context, Deferred, Duration, Effect, Fiber, Layer, Option, Queue, Redacted, Ref } from "effect"
import * as RabbitPayoutQueue from "../../src/infra/rabbitmq/payoutQueue.js"
import { type PayoutMessage, PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { Settings } from "../../src/settings.js"
import { within, withSettings } from "../contracts/time.js"
import { eventually, isolated, message, queueLayer, rawChannel, url } from "./rabbitmq.support.js"

const start = (layer: Layer.Layer<PayoutQueue, unknown>) =>
  Layer.build(layer).pipe(Effect.map((context) => Context.get(context, PayoutQueue)))

describe("RabbitMQ PayoutQueue", () => {
  it.scopedLive("publishes persistent messages with messageId and the current span's traceparent", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const queue = yield* start(queueLayer(names, connectionName))
      const sent = yield* message
      const parent = yield* Effect.withSpan(Effect.zipLeft(Effect.currentSpan, queue.publish(sent)), "test.request")
      const channel = yield* rawChannel
      const got = yield* Effect.promise(() => channel.get(names.queue, { noAck: true }))
      if (got === false) return expect.fail("no message in the queue")
      expect(JSON.parse(got.content.toString())).toEqual(sent)
      expect(got.properties.messageId).toBe(sent.transactionId)
      expect(got.properties.deliveryMode).toBe(2)
      expect(String(got.properties.headers?.traceparent)).toMatch(new RegExp(`^00-${parent.traceId}-[0-9a-f]{16}-01$`))
    })
  )

  it.scopedLive("the handler runs in a span whose parent is the publisher's span", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const queue = yield* start(queueLayer(names, connectionName))
      const parent = yield* Effect.withSpan(
        Effect.zipLeft(Effect.currentSpan, Effect.flatMap(message, queue.publish)),
        "test.request"
      )
      const seen = yield* Deferred.make<string>()
      yield* queue
        .consume(() => Effect.flatMap(Effect.currentSpan, (span) => Deferred.succeed(seen, span.traceId)), {
          concurrency: 1
        })
        .pipe(Effect.forkScoped)
      expect(yield* Deferred.await(seen).pipe(within("5 seconds", "the delivery"))).toBe(parent.traceId)
    })
  )

  it.scopedLive("a failed handler is retried through the delay queue, and the retry survives a consumer restart", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const layer = queueLayer(names, connectionName, { retryDelay: "300 millis" })
      const sent = yield* message
      const failed = yield* Deferred.make<void>()
      yield* Effect.scoped(
        Effect.gen(function* () {
          const first = yield* start(layer)
          yield* first.publish(sent)
          yield* first
            .consume(() => Effect.zipRight(Deferred.succeed(failed, undefined), Effect.fail("rail down")), {
              concurrency: 1
            })
            .pipe(Effect.forkScoped)
          yield* Deferred.await(failed).pipe(within("5 seconds", "the first delivery"))
          yield* eventually(first.stats, (s) => s.delayed === 1 && s.inFlight === 0, "the retry to be parked")
        })
      )
      const second = yield* start(layer)
      const delivered = yield* Deferred.make<PayoutMessage>()
      yield* second.consume((m) => Deferred.succeed(delivered, m), { concurrency: 1 }).pipe(Effect.forkScoped)
      expect(yield* Deferred.await(delivered).pipe(within("5 seconds", "the retried delivery"))).toEqual(sent)
      expect(yield* eventually(second.stats, (s) => s.inFlight === 0, "the ack")).toMatchObject({
        ready: 0,
        delayed: 0,
        dead: 0
      })
    })
  )

  it.scopedLive("a message that keeps failing is dead-lettered after maxDeliveries", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const queue = yield* start(queueLayer(names, connectionName, { maxDeliveries: 3 }))
      const attempts = yield* Ref.make(0)
      const sent = yield* message
      yield* queue.publish(sent)
      yield* queue
        .consume(
          () =>
            Effect.zipRight(
              Ref.update(attempts, (n) => n + 1),
              Effect.die("bug")
            ),
          { concurrency: 2 }
        )
        .pipe(Effect.forkScoped)
      yield* eventually(queue.stats, (s) => s.dead === 1, "the dead letter")
      expect(yield* Ref.get(attempts)).toBe(3)
      expect(yield* queue.stats).toMatchObject({ ready: 0, delayed: 0, dead: 1 })
      const channel = yield* rawChannel
      const dead = yield* Effect.promise(() => channel.get(names.deadLetterQueue, { noAck: true }))
      if (dead === false) return expect.fail("no dead letter")
      expect(dead.properties.messageId).toBe(sent.transactionId)
      expect(dead.properties.headers?.["x-swiftpay-failures"]).toBe(2)
      expect(String(dead.properties.headers?.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    })
  )

  it.scopedLive("poison messages go to payout_dlq without reaching the handler", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const queue = yield* start(queueLayer(names, connectionName))
      const channel = yield* rawChannel
      channel.sendToQueue(names.queue, Buffer.from("{not json"))
      channel.sendToQueue(
        names.queue,
        Buffer.from(JSON.stringify({ transactionId: "nope", userId: "u", expectedAttempts: -1 }))
      )
      const calls = yield* Ref.make(0)
      yield* queue.consume(() => Ref.update(calls, (n) => n + 1), { concurrency: 2 }).pipe(Effect.forkScoped)
      yield* eventually(queue.stats, (s) => s.dead === 2, "two dead letters")
      expect(yield* Ref.get(calls)).toBe(0)
      const dead = yield* Effect.promise(() => channel.get(names.deadLetterQueue, { noAck: true }))
      expect(dead === false ? undefined : dead.content.toString()).toBe("{not json")
    })
  )

  it.scopedLive("shutdown lets in-flight handlers finish and ack; interrupted ones are requeued", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const layer = queueLayer(names, connectionName, { drainTimeout: "5 seconds" })
      const queue = yield* start(layer)
      yield* Effect.flatMap(message, queue.publish)
      const started = yield* Deferred.make<void>()
      const finish = yield* Deferred.make<void>()
      const consumer = yield* queue
        .consume(() => Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(finish)), {
          concurrency: 1
        })
        .pipe(Effect.fork)
      yield* Deferred.await(started).pipe(within("5 seconds", "the delivery"))
      expect((yield* queue.stats).inFlight).toBe(1)
      yield* Fiber.interruptFork(consumer)
      yield* Deferred.succeed(finish, undefined)
      yield* Fiber.await(consumer)
      expect(yield* eventually(queue.stats, (s) => s.inFlight === 0, "the drain")).toMatchObject({
        ready: 0,
        delayed: 0
      })

      yield* Effect.flatMap(message, queue.publish)
      const stuck = yield* Deferred.make<void>()
      const impatient = yield* start(queueLayer(names, `${connectionName}-b`, { drainTimeout: "50 millis" }))
      const second = yield* impatient
        .consume(() => Effect.zipRight(Deferred.succeed(stuck, undefined), Effect.never), { concurrency: 1 })
        .pipe(Effect.fork)
      yield* Deferred.await(stuck).pipe(within("5 seconds", "the delivery"))
      yield* Fiber.interrupt(second)
      yield* eventually(queue.stats, (s) => s.ready === 1, "the requeue")
      const again = yield* Queue.unbounded<PayoutMessage>()
      yield* queue.consume((m) => Queue.offer(again, m), { concurrency: 1 }).pipe(Effect.forkScoped)
      expect(Option.isSome(yield* Queue.take(again).pipe(Effect.option, within("5 seconds", "the redelivery")))).toBe(
        true
      )
    })
  )

  it.scopedLive("layerConfig reads its options from Config (RABBITMQ_URL, RETRY_DELAY_MS)", () =>
    Effect.gen(function* () {
      const { names, connectionName } = yield* isolated
      const layer = RabbitPayoutQueue.layerConfig({
        url: Settings.rabbitUrl,
        retryDelay: Config.map(Settings.retryDelayMs, Duration.millis),
        names: Config.succeed(names),
        connectionName: Config.succeed(connectionName)
      }).pipe(withSettings({ RABBITMQ_URL: Redacted.value(url), RETRY_DELAY_MS: "50" }))
      const queue = yield* start(layer)
      yield* Effect.flatMap(message, queue.publish)
      expect(yield* queue.stats).toEqual({ ready: 1, delayed: 0, dead: 0, inFlight: 0 })
    })
  )
})
