import { Effect, FiberSet, Layer, ParseResult, PubSub, Queue, type Schedule, Schema, type Scope } from "effect"
import type { Redis } from "ioredis"
import type { ServiceUnavailable } from "../../domain/errors.js"
import { PayoutEvent } from "../../domain/events.js"
import { EventBus, type EventBusShape } from "../../ports/EventBus.js"
import { acquire, RedisClient, unavailable } from "./client.js"

export interface RedisEventBusOptions {
  readonly channel?: string | undefined
  /** Events kept for a subscriber that falls behind; the oldest are dropped past this. */
  readonly bufferSize?: number | undefined
  readonly connectRetry?: Schedule.Schedule<unknown, unknown> | undefined
}

const PayoutEventJson = Schema.parseJson(PayoutEvent)
const encode = Schema.encode(PayoutEventJson)
const decode = Schema.decodeUnknown(PayoutEventJson)

/**
 * One Redis subscription per process on a dedicated connection (a subscribed
 * connection can run no other command), fanned out in memory to every local subscriber.
 * Redis pub/sub is at-most-once: events published while this connection is down are lost,
 * which `resubscribed` announces once it is back.
 */
export const make = (
  redis: Redis,
  options: RedisEventBusOptions = {}
): Effect.Effect<EventBusShape, ServiceUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const channel = options.channel ?? "websocket:events"
    const hub = yield* Effect.acquireRelease(PubSub.sliding<PayoutEvent>(options.bufferSize ?? 4096), PubSub.shutdown)
    const frames = yield* Effect.acquireRelease(Queue.unbounded<string>(), Queue.shutdown)

    const { host, port, db } = redis.options
    const subscriber = yield* acquire(() => redis.duplicate(), options.connectRetry, `redis://${host}:${port}/${db}`)
    subscriber.on("message", (from: string, text: string) => {
      if (from === channel) Queue.unsafeOffer(frames, text)
    })
    yield* Effect.tryPromise(() => subscriber.subscribe(channel)).pipe(Effect.catchAll(unavailable))

    // ioredis resubscribes on its own after a reconnect; subscribing again here (a no-op to Redis) tells us
    // when the subscription is confirmed, and only then is the gap announced: a log read after it misses nothing
    const gaps = yield* Effect.acquireRelease(PubSub.unbounded<void>(), PubSub.shutdown)
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    let connectedBefore = true
    subscriber.on("close", () => {
      connectedBefore = false
    })
    subscriber.on("ready", () => {
      if (connectedBefore) return
      connectedBefore = true
      runFork(
        Effect.tryPromise(() => subscriber.subscribe(channel)).pipe(
          Effect.zipRight(PubSub.publish(gaps, undefined)),
          Effect.zipRight(Effect.logInfo("event bus: subscription back, subscribers catch up from the event log")),
          Effect.catchAll((cause) =>
            Effect.logWarning("event bus: resubscribe failed, the next reconnect retries", cause)
          )
        )
      )
    })

    yield* Queue.take(frames).pipe(
      Effect.flatMap((text) =>
        decode(text).pipe(
          Effect.flatMap((event) => PubSub.publish(hub, event)),
          Effect.catchTag("ParseError", (error) =>
            Effect.logWarning("dropped an undecodable event frame", {
              channel,
              issues: ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => `${i.path.join(".")}: ${i.message}`)
            })
          )
        )
      ),
      Effect.forever,
      Effect.forkScoped
    )

    const publish = Effect.fn("RedisEventBus.publish")(function* (event: PayoutEvent) {
      const text = yield* encode(event).pipe(Effect.orDie)
      yield* Effect.tryPromise(() => redis.publish(channel, text)).pipe(Effect.catchAll(unavailable))
    })

    return { publish, subscribe: PubSub.subscribe(hub), resubscribed: PubSub.subscribe(gaps) }
  })

export const layer = (options: RedisEventBusOptions = {}): Layer.Layer<EventBus, ServiceUnavailable, RedisClient> =>
  Layer.scoped(
    EventBus,
    Effect.flatMap(RedisClient, (redis) => make(redis, options))
  )
