import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from "amqplib"
import { Clock, type Duration, Effect, Option, Schedule } from "effect"
import { ServiceUnavailable } from "../../domain/errors.js"
import type { PayoutMessage } from "../../ports/PayoutQueue.js"
import * as AmqpConnection from "./connection.js"
import { assertTopology, type QueueNames } from "./topology.js"
import { currentTraceparent } from "./traceContext.js"

/** Declares the topology, then opens the confirm channel every publish of this connection goes through. */
export const openPublisher = async (model: ChannelModel, names: QueueNames): Promise<ConfirmChannel> => {
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

/**
 * Succeeds once the broker confirmed the message. Each publish waits for its own
 * confirm, so concurrent publishes pipeline on the channel. A publish the broker
 * refused is sent again (a duplicate is possible, never a loss) until `timeout`;
 * while the connection is down it fails at once with ServiceUnavailable, so no
 * caller queues up behind an outage (what it wanted sent is durable elsewhere:
 * the payout in the store, the delivery in the broker).
 */
export const makeSend =
  (connection: AmqpConnection.AmqpConnection<ConfirmChannel>, timeout: Duration.DurationInput) =>
  (queue: string, content: Buffer, properties: Options.Publish) =>
    connection.connected.pipe(
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
      Effect.retry({ schedule: Schedule.spaced("50 millis"), while: (e) => !(e instanceof ServiceUnavailable) }),
      // also runs in the consumer's settle finalizer, which is uninterruptible: keep the timeout effective there
      Effect.interruptible,
      Effect.timeout(timeout),
      Effect.catchAll(AmqpConnection.unavailable)
    )

/**
 * Failed deliveries so far, carried by the copy in the delay queue. Not
 * `x-delivery-count`: quorum queues set that one themselves on every redelivery.
 */
export const FAILURES_HEADER = "x-swiftpay-failures"

export const messageProperties = (message: PayoutMessage): Effect.Effect<Options.Publish> =>
  Effect.all([currentTraceparent, Clock.currentTimeMillis]).pipe(
    Effect.map(([traceparent, now]) => ({
      persistent: true,
      contentType: "application/json",
      messageId: message.transactionId,
      timestamp: Math.floor(now / 1000),
      headers: Option.match(traceparent, { onNone: () => ({}), onSome: (value) => ({ traceparent: value }) })
    }))
  )

/** The delivery again, for a delay queue: same body, id and trace, one more failed delivery counted. */
export const retryProperties = (delivery: ConsumeMessage, deliveries: number): Options.Publish => {
  const { messageId, headers } = delivery.properties
  const traceparent: unknown = headers?.traceparent
  return {
    persistent: true,
    contentType: "application/json",
    ...(typeof messageId === "string" ? { messageId } : {}),
    headers: { ...(typeof traceparent === "string" ? { traceparent } : {}), [FAILURES_HEADER]: deliveries }
  }
}
