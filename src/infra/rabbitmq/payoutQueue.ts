import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from "amqplib"
import {
  Clock,
  Config,
  type ConfigError,
  Duration,
  Effect,
  Layer,
  Option,
  Ref,
  Schedule,
  Schema,
  type Scope
} from "effect"
import type { ServiceUnavailable } from "../../domain/errors.js"
import { PayoutMessage, PayoutQueue, type PayoutQueueShape } from "../../ports/PayoutQueue.js"
import { Settings } from "../../settings.js"
import * as AmqpConnection from "./connection.js"
import { consume } from "./consumer.js"
import { assertTopology, defaultNames, type QueueNames } from "./topology.js"
import { currentTraceparent } from "./traceContext.js"

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

const openPublisher = async (model: ChannelModel, names: QueueNames): Promise<ConfirmChannel> => {
  const setup = await model.createChannel()
  setup.on("error", () => {})
  await assertTopology(setup, names)
  await setup.close()
  const confirm = await model.createConfirmChannel()
  confirm.on("error", () => {})
  // a publisher channel closed on its own would fail every publish: start over on a new connection
  confirm.once("close", () => void model.close().catch(() => undefined))
  return confirm
}

export const make = (
  options: RabbitPayoutQueueOptions
): Effect.Effect<PayoutQueueShape, ServiceUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const names = options.names ?? defaultNames
    const connection = yield* AmqpConnection.make(options, (model) => openPublisher(model, names))
    const inFlight = yield* Ref.make(0)
    const publishTimeout = options.publishTimeout ?? "5 seconds"
    const retryDelayMs = Duration.toMillis(options.retryDelay ?? "1 second")

    // each publish waits for its own confirm, so concurrent publishes share the channel's confirm stream
    const send = (queue: string, content: Buffer, properties: Options.Publish) =>
      connection.live.pipe(
        Effect.flatMap((live) =>
          Effect.async<void, unknown>((resume) => {
            try {
              live.resources.sendToQueue(queue, content, properties, (error: unknown) =>
                resume(error == null ? Effect.void : Effect.fail(error))
              )
            } catch (error) {
              resume(Effect.fail(error))
            }
          })
        ),
        Effect.retry(Schedule.spaced("50 millis")),
        // also called from the consumer's (uninterruptible) settle finalizer: keep the timeout effective there
        Effect.interruptible,
        Effect.timeout(publishTimeout),
        Effect.catchAll(AmqpConnection.unavailable)
      )

    const properties = (message: PayoutMessage) =>
      Effect.all([currentTraceparent, Clock.currentTimeMillis]).pipe(
        Effect.map(
          ([traceparent, now]): Options.Publish => ({
            persistent: true,
            contentType: "application/json",
            messageId: message.transactionId,
            timestamp: Math.floor(now / 1000),
            headers: Option.match(traceparent, { onNone: () => ({}), onSome: (value) => ({ traceparent: value }) })
          })
        )
      )

    const publish = Effect.fn("RabbitPayoutQueue.publish")(function* (message: PayoutMessage) {
      const body = Buffer.from(yield* encodeBody(message).pipe(Effect.orDie))
      yield* send(names.queue, body, yield* properties(message))
    })

    const publishDelayed = Effect.fn("RabbitPayoutQueue.publishDelayed")(function* (
      message: PayoutMessage,
      delayMs: number
    ) {
      const body = Buffer.from(yield* encodeBody(message).pipe(Effect.orDie))
      const expiration = String(Math.max(0, Math.round(delayMs)))
      yield* send(names.retryQueue, body, { ...(yield* properties(message)), expiration })
    })

    const retryLater = (delivery: ConsumeMessage, deliveries: number) =>
      send(names.retryQueue, delivery.content, {
        persistent: true,
        contentType: "application/json",
        ...(typeof delivery.properties.messageId === "string" ? { messageId: delivery.properties.messageId } : {}),
        headers: { ...delivery.properties.headers, "x-delivery-count": deliveries },
        expiration: String(retryDelayMs)
      })

    const stats = connection.live.pipe(
      Effect.flatMap((live) =>
        Effect.acquireUseRelease(
          Effect.tryPromise(() => live.model.createChannel()),
          (channel) =>
            Effect.tryPromise(() =>
              Promise.all([
                channel.checkQueue(names.queue),
                channel.checkQueue(names.retryQueue),
                channel.checkQueue(names.deadLetterQueue)
              ])
            ),
          (channel) => Effect.promise(() => channel.close().catch(() => undefined))
        )
      ),
      Effect.timeout(publishTimeout),
      Effect.catchAll(AmqpConnection.unavailable),
      Effect.zipWith(Ref.get(inFlight), ([ready, delayed, dead], inFlight) => ({
        ready: ready.messageCount,
        delayed: delayed.messageCount,
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

/** RABBITMQ_URL and RETRY_DELAY_MS from the settings; `overrides` for the rest. */
export const layerConfig = (
  overrides: Omit<RabbitPayoutQueueOptions, "url"> = {}
): Layer.Layer<PayoutQueue, ServiceUnavailable | ConfigError.ConfigError> =>
  Layer.scoped(
    PayoutQueue,
    Effect.flatMap(
      Config.all({ url: Settings.rabbitUrl, retryDelayMs: Settings.retryDelayMs }),
      ({ url, retryDelayMs }) => make({ retryDelay: Duration.millis(retryDelayMs), ...overrides, url })
    )
  )
