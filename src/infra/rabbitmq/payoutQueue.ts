import type { ConsumeMessage } from "amqplib"
import { Config, type ConfigError, Duration, Effect, Layer, Ref, Schema, type Scope } from "effect"
import type { ServiceUnavailable } from "../../domain/errors.js"
import { PayoutMessage, PayoutQueue, type PayoutQueueShape } from "../../ports/PayoutQueue.js"
import * as AmqpConnection from "./connection.js"
import { consume } from "./consumer.js"
import { makeSend, messageProperties, openPublisher, retryProperties } from "./publisher.js"
import { DELAY_STEPS_MS, defaultNames, delayQueue, type QueueNames } from "./topology.js"

export interface RabbitPayoutQueueOptions extends AmqpConnection.AmqpConnectOptions {
  readonly names?: QueueNames | undefined
  /**
   * How long a publish may wait for the broker's confirm, through a reconnect if
   * the connection dropped; past it the publish fails with ServiceUnavailable.
   */
  readonly publishTimeout?: Duration.DurationInput | undefined
  /** Delay before a message whose handler failed is delivered again. */
  readonly retryDelay?: Duration.DurationInput | undefined
  readonly maxDeliveries?: number | undefined
  /**
   * On interruption of `consume`, how long in-flight handlers may run on before they are
   * interrupted and requeued. Default 0: the port's "interruption requeues at once".
   */
  readonly drainTimeout?: Duration.DurationInput | undefined
}

const encodeBody = Schema.encode(Schema.parseJson(PayoutMessage))

export const make = (
  options: RabbitPayoutQueueOptions
): Effect.Effect<PayoutQueueShape, ServiceUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const names = options.names ?? defaultNames
    const connection = yield* AmqpConnection.make(options, (model) => openPublisher(model, names))
    const inFlight = yield* Ref.make(0)
    const retryDelayMs = Duration.toMillis(options.retryDelay ?? "1 second")

    const send = makeSend(connection, options.publishTimeout ?? "5 seconds")

    const publish = Effect.fn("RabbitPayoutQueue.publish")(function* (message: PayoutMessage) {
      const body = Buffer.from(yield* encodeBody(message).pipe(Effect.orDie))
      yield* send(names.queue, body, yield* messageProperties(message))
    })

    const publishDelayed = Effect.fn("RabbitPayoutQueue.publishDelayed")(function* (
      message: PayoutMessage,
      delayMs: number
    ) {
      const body = Buffer.from(yield* encodeBody(message).pipe(Effect.orDie))
      yield* send(delayQueue(names, delayMs), body, yield* messageProperties(message))
    })

    const retryLater = (delivery: ConsumeMessage, deliveries: number) =>
      send(delayQueue(names, retryDelayMs), delivery.content, retryProperties(delivery, deliveries))

    const stats = connection.live.pipe(
      Effect.flatMap((live) =>
        Effect.acquireUseRelease(
          Effect.tryPromise(() => live.model.createChannel()),
          (channel) =>
            Effect.tryPromise(async () => {
              const ready = await channel.checkQueue(names.queue)
              const dead = await channel.checkQueue(names.deadLetterQueue)
              let delayed = 0
              for (const step of DELAY_STEPS_MS)
                delayed += (await channel.checkQueue(delayQueue(names, step))).messageCount
              return [ready, delayed, dead] as const
            }),
          (channel) => Effect.promise(() => channel.close().catch(() => undefined))
        )
      ),
      Effect.timeout(options.publishTimeout ?? "5 seconds"),
      Effect.catchAll(AmqpConnection.unavailable),
      Effect.zipWith(Ref.get(inFlight), ([ready, delayed, dead], inFlight) => ({
        ready: ready.messageCount,
        delayed,
        dead: dead.messageCount,
        inFlight
      }))
    )

    const config = {
      queue: names.queue,
      maxDeliveries: options.maxDeliveries ?? 5,
      drainTimeout: options.drainTimeout ?? Duration.zero,
      inFlight,
      retryLater
    }

    return {
      publish,
      publishDelayed,
      consume: (handler, { concurrency }) => consume(connection, handler, concurrency, config),
      stats: Effect.withSpan(stats, "RabbitPayoutQueue.stats")
    } satisfies PayoutQueueShape
  })

export const layer = (options: RabbitPayoutQueueOptions): Layer.Layer<PayoutQueue, ServiceUnavailable> =>
  Layer.scoped(PayoutQueue, make(options))

export const layerConfig = (
  config: Config.Config.Wrap<RabbitPayoutQueueOptions>
): Layer.Layer<PayoutQueue, ServiceUnavailable | ConfigError.ConfigError> =>
  Layer.scoped(PayoutQueue, Effect.flatMap(Config.unwrap(config), make))
