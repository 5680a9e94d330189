import type { Channel } from "amqplib"

/** Broker object names; the defaults are the ARCHITECTURE names, tests pass prefixed ones. */
export interface QueueNames {
  /** The work queue; rejected messages dead-letter to `deadLetterExchange` with `routingKey`. */
  readonly queue: string
  /** Holds a message for its per-message expiration, then dead-letters it back to `queue`. */
  readonly retryQueue: string
  readonly deadLetterExchange: string
  readonly deadLetterQueue: string
  readonly routingKey: string
}

export const defaultNames: QueueNames = {
  queue: "payout_queue",
  retryQueue: "payout_retry",
  deadLetterExchange: "dlx_payout",
  deadLetterQueue: "payout_dlq",
  routingKey: "payout"
}

export const prefixedNames = (prefix: string): QueueNames => ({
  queue: `${prefix}payout_queue`,
  retryQueue: `${prefix}payout_retry`,
  deadLetterExchange: `${prefix}dlx_payout`,
  deadLetterQueue: `${prefix}payout_dlq`,
  routingKey: "payout"
})

/** Idempotent: every start-up and every reconnect declares the same objects. */
export const assertTopology = async (channel: Channel, names: QueueNames): Promise<void> => {
  await channel.assertExchange(names.deadLetterExchange, "direct", { durable: true })
  await channel.assertQueue(names.deadLetterQueue, { durable: true })
  await channel.bindQueue(names.deadLetterQueue, names.deadLetterExchange, names.routingKey)
  await channel.assertQueue(names.queue, {
    durable: true,
    deadLetterExchange: names.deadLetterExchange,
    deadLetterRoutingKey: names.routingKey
  })
  // the default exchange is a direct exchange that routes by queue name
  await channel.assertQueue(names.retryQueue, {
    durable: true,
    deadLetterExchange: "",
    deadLetterRoutingKey: names.queue
  })
}

/** Removes everything `assertTopology` declared (tests). */
export const deleteTopology = async (channel: Channel, names: QueueNames): Promise<void> => {
  await channel.deleteQueue(names.queue)
  await channel.deleteQueue(names.retryQueue)
  await channel.deleteQueue(names.deadLetterQueue)
  await channel.deleteExchange(names.deadLetterExchange)
}
