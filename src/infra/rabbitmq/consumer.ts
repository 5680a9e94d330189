import type { Channel, ConsumeMessage } from "amqplib"
import { Cause, Deferred, Duration, Effect, Either, Exit, FiberSet, Option, ParseResult, Ref, Schema } from "effect"
import type { ServiceUnavailable } from "../../domain/errors.js"
import { type Delivery, PayoutMessage } from "../../ports/PayoutQueue.js"
import { type AmqpConnection, describe, type Live } from "./connection.js"
import { FAILURES_HEADER } from "./publisher.js"
import { parseTraceparent } from "./traceContext.js"

export interface ConsumerConfig {
  readonly queue: string
  /** A message whose handler failed this many times goes to the dead letters. */
  readonly maxDeliveries: number
  /** When the consumer is interrupted, in-flight handlers get this long to finish before they are interrupted (and requeued). */
  readonly drainTimeout: Duration.DurationInput
  readonly inFlight: Ref.Ref<number>
  /** Confirmed copy of the delivery into a delay queue, carrying its failed deliveries so far. */
  readonly retryLater: (delivery: ConsumeMessage, deliveries: number) => Effect.Effect<void, ServiceUnavailable>
}

export const Headers = Schema.Struct({
  traceparent: Schema.optional(Schema.String),
  [FAILURES_HEADER]: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  /** Set by quorum queues on a redelivery. */
  "x-delivery-count": Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
})
const decodeHeaders = Schema.decodeUnknownOption(Headers)
const decodeBody = Schema.decodeUnknownEither(Schema.parseJson(PayoutMessage))

const onChannel = (operation: () => void) =>
  Effect.try(operation).pipe(
    Effect.catchAll((cause) =>
      Effect.logDebug(`channel gone before settling, the broker redelivers: ${describe(cause)}`)
    )
  )

const settle =
  (channel: Channel, delivery: ConsumeMessage, deliveries: number, config: ConsumerConfig) =>
  (exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> => {
    if (Exit.isSuccess(exit)) return onChannel(() => channel.ack(delivery))
    if (Cause.isInterruptedOnly(exit.cause)) return onChannel(() => channel.nack(delivery, false, true))
    if (deliveries >= config.maxDeliveries) {
      return Effect.logError(`payout message dead-lettered after ${deliveries} failed deliveries`, exit.cause).pipe(
        Effect.zipRight(onChannel(() => channel.nack(delivery, false, false)))
      )
    }
    return Effect.logWarning(`payout handler failed (delivery ${deliveries}), retrying later`, exit.cause).pipe(
      Effect.zipRight(config.retryLater(delivery, deliveries)),
      Effect.matchEffect({
        onSuccess: () => onChannel(() => channel.ack(delivery)),
        onFailure: () => onChannel(() => channel.nack(delivery, false, true))
      })
    )
  }

const noHeaders: typeof Headers.Type = {}

const handleDelivery = <E, R>(
  channel: Channel,
  delivery: ConsumeMessage,
  handler: (message: PayoutMessage, delivery: Delivery) => Effect.Effect<void, E, R>,
  config: ConsumerConfig
): Effect.Effect<void, never, R> => {
  const body = decodeBody(delivery.content.toString("utf8"))
  if (Either.isLeft(body)) {
    return Effect.logWarning("undecodable payout message, dead-lettered", {
      issues: ParseResult.ArrayFormatter.formatErrorSync(body.left).map((i) => `${i.path.join(".")}: ${i.message}`)
    }).pipe(Effect.zipRight(onChannel(() => channel.nack(delivery, false, false))))
  }
  const headers = Option.getOrElse(decodeHeaders(delivery.properties.headers ?? {}), () => noHeaders)
  const deliveries = (headers[FAILURES_HEADER] ?? 0) + 1
  const parent = parseTraceparent(headers.traceparent)
  return Effect.addFinalizer(settle(channel, delivery, deliveries, config)).pipe(
    Effect.zipRight(
      handler(body.right, {
        redelivered: delivery.fields.redelivered || deliveries > 1 || (headers["x-delivery-count"] ?? 0) > 0
      })
    ),
    Effect.scoped,
    Effect.withSpan("RabbitPayoutQueue.handle", {
      kind: "consumer",
      attributes: { "messaging.message.id": body.right.transactionId, "messaging.delivery.count": deliveries },
      ...(Option.isSome(parent) ? { parent: parent.value } : {})
    }),
    Effect.exit,
    Effect.asVoid
  )
}

/**
 * Consumes on one channel of one connection until that channel or connection is
 * lost, or the scope closes. Handlers run in `fibers`, which outlives the
 * session: losing the broker is not a cancellation. In-flight settlements run to
 * their end (store writes included); their ack finds the channel gone, and the
 * redelivered copy finds the payout final, or busy until its lease ends.
 */
const session = <E, R>(
  live: Live<unknown>,
  handler: (message: PayoutMessage, delivery: Delivery) => Effect.Effect<void, E, R>,
  concurrency: number,
  config: ConsumerConfig,
  fibers: FiberSet.FiberSet,
  permits: Effect.Semaphore
) =>
  Effect.gen(function* () {
    const channel = yield* Effect.acquireRelease(
      Effect.tryPromise(() => live.model.createChannel()),
      (channel) => Effect.promise(() => channel.close().catch(() => undefined))
    )
    channel.on("error", () => {})
    const lost = yield* Deferred.make<void>()
    channel.once("close", () => Deferred.unsafeDone(lost, Exit.void))
    yield* Effect.tryPromise(() => channel.prefetch(concurrency))

    const run = yield* FiberSet.runtime(fibers)<R>()
    // handlers of an earlier, lost channel still count: never more than `concurrency` at once
    const track = (delivery: ConsumeMessage) =>
      permits.withPermits(1)(
        Ref.update(config.inFlight, (n) => n + 1).pipe(
          Effect.zipRight(handleDelivery(channel, delivery, handler, config)),
          Effect.ensuring(Ref.update(config.inFlight, (n) => n - 1))
        )
      )
    const cancel = (consumerTag: string) => Effect.promise(() => channel.cancel(consumerTag).catch(() => undefined))
    // SIGTERM: stop taking deliveries, let the in-flight ones finish (and ack) before the channel closes
    const drain = Duration.isZero(Duration.decode(config.drainTimeout))
      ? cancel
      : (consumerTag: string) =>
          cancel(consumerTag).pipe(
            Effect.zipRight(FiberSet.awaitEmpty(fibers)),
            // finalizers are uninterruptible: let the timeout cut the wait short
            Effect.interruptible,
            Effect.timeout(config.drainTimeout),
            Effect.ignore
          )
    yield* Effect.acquireRelease(
      Effect.tryPromise(() =>
        channel.consume(config.queue, (delivery) => {
          // null: the broker cancelled the consumer (queue deleted)
          if (delivery === null) Deferred.unsafeDone(lost, Exit.void)
          else run(track(delivery))
        })
      ),
      ({ consumerTag }) => Effect.flatMap(Deferred.isDone(lost), (gone) => (gone ? Effect.void : drain(consumerTag)))
    )
    yield* Effect.raceFirst(Deferred.await(lost), Deferred.await(live.closed))
  })

/**
 * Consumes until interrupted, opening a new channel on each new connection. When
 * interrupted, handlers still running after the drain are interrupted (requeued).
 */
export const consume = <A, E, R>(
  connection: AmqpConnection<A>,
  handler: (message: PayoutMessage, delivery: Delivery) => Effect.Effect<void, E, R>,
  concurrency: number,
  config: ConsumerConfig
): Effect.Effect<never, ServiceUnavailable, R> =>
  Effect.scoped(
    Effect.flatMap(Effect.all([FiberSet.make(), Effect.makeSemaphore(concurrency)]), ([fibers, permits]) =>
      connection.live.pipe(
        Effect.flatMap((live) =>
          Effect.scoped(session(live, handler, concurrency, config, fibers, permits)).pipe(
            Effect.catchAll((cause) =>
              Effect.logWarning(`payout consumer channel failed, reopening: ${describe(cause)}`).pipe(
                Effect.zipRight(Effect.sleep(Duration.millis(200)))
              )
            )
          )
        ),
        Effect.forever
      )
    )
  )
