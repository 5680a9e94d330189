import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from "amqplib"
import { Clock, type Duration, Effect, Option, Schedule } from "effect"
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
 * confirm, so concurrent publishes pipeline on the channel. When the connection
 * drops first, it publishes again after the reconnect (a duplicate is possible,
 * never a loss) until `timeout`, then fails with ServiceUnavailable.
 */
export const makeSend =
  (connection: AmqpConnection.AmqpConnection<ConfirmChannel>, timeout: Duration.DurationInput) =>
  (queue: string, content: Buffer, properties: Options.Publish) =>
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
      // also runs in the consumer's settle finalizer, which is uninterruptible: keep the timeout effective there
      Effect.interruptible,
      Effect.timeout(timeout),
      Effect.catchAll(AmqpConnection.unavailable)
    )

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

/** The delivery again, for the delay queue: same body, id and trace, one more failed delivery counted. */
export const retryProperties = (delivery: ConsumeMessage, deliveries: number, delayMs: number): Options.Publish => {
  const { messageId, headers } = delivery.properties
  const traceparent: unknown = headers?.traceparent
  return {
    persistent: true,
    contentType: "application/json",
    ...(typeof messageId === "string" ? { messageId } : {}),
    headers: { ...(typeof traceparent === "string" ? { traceparent } : {}), "x-delivery-count": deliveries },
    expiration: String(delayMs)
  }
}
