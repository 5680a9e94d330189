import type { Channel } from "amqplib"

/** Broker object names; the defaults are the documented names, tests pass prefixed ones. */
export interface QueueNames {
  /** The work queue; rejected messages dead-letter to `deadLetterExchange` with `routingKey`. */
  readonly queue: string
  /** Delay queues are `<delayPrefix><ms>ms`, one per step of `DELAY_STEPS_MS`. */
  readonly delayPrefix: string
  readonly deadLetterExchange: string
  readonly deadLetterQueue: string
  readonly routingKey: string
}

export const defaultNames: QueueNames = {
  queue: "payout_queue",
  delayPrefix: "payout_delay_",
  deadLetterExchange: "dlx_payout",
  deadLetterQueue: "payout_dlq",
  routingKey: "payout"
}

export const prefixedNames = (prefix: string): QueueNames => ({
  queue: `${prefix}payout_queue`,
  delayPrefix: `${prefix}payout_delay_`,
  deadLetterExchange: `${prefix}dlx_payout`,
  deadLetterQueue: `${prefix}payout_dlq`,
  routingKey: "payout"
})

/**
 * One delay queue per step, each with one queue-wide TTL: RabbitMQ expires
 * messages only at a queue's head, so mixing delays in one queue would hold a
 * 1 s retry behind a 30 s one. A delay is rounded up to the next step.
 */
export const DELAY_STEPS_MS: ReadonlyArray<number> = [
  100, 250, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000
]

export const delayStep = (delayMs: number): number =>
  DELAY_STEPS_MS.find((step) => step >= delayMs) ?? DELAY_STEPS_MS[DELAY_STEPS_MS.length - 1] ?? 0

export const delayQueue = (names: QueueNames, delayMs: number): string => `${names.delayPrefix}${delayStep(delayMs)}ms`

/** A redelivered message is dead-lettered after this many deliveries (a message that keeps killing its consumer). */
export const DELIVERY_LIMIT = 20

/**
 * Quorum queues (replicated, durable, with at-least-once dead-lettering), as the
 * RabbitMQ documentation recommends for data that must not be lost.
 */
const quorum = (extra: Record<string, unknown>) => ({
  durable: true,
  arguments: { "x-queue-type": "quorum", ...extra }
})

const deadLetterTo = (exchange: string, routingKey: string) => ({
  "x-dead-letter-exchange": exchange,
  "x-dead-letter-routing-key": routingKey,
  "x-dead-letter-strategy": "at-least-once",
  // at-least-once dead-lettering needs the target to refuse rather than drop on overflow
  "x-overflow": "reject-publish"
})

/**
 * Idempotent: every start-up and every reconnect declares the same objects. A
 * queue that exists with other arguments (a classic queue from an older release)
 * makes the broker refuse the declaration: see the README's upgrade note.
 */
export const assertTopology = async (channel: Channel, names: QueueNames): Promise<void> => {
  await channel.assertExchange(names.deadLetterExchange, "direct", { durable: true })
  await channel.assertQueue(names.deadLetterQueue, quorum({}))
  await channel.bindQueue(names.deadLetterQueue, names.deadLetterExchange, names.routingKey)
  await channel.assertQueue(
    names.queue,
    quorum({ ...deadLetterTo(names.deadLetterExchange, names.routingKey), "x-delivery-limit": DELIVERY_LIMIT })
  )
  // the default exchange is a direct exchange that routes by queue name
  for (const step of DELAY_STEPS_MS) {
    await channel.assertQueue(
      delayQueue(names, step),
      quorum({ ...deadLetterTo("", names.queue), "x-message-ttl": step })
    )
  }
}

/** Removes everything `assertTopology` declared (tests). */
export const deleteTopology = async (channel: Channel, names: QueueNames): Promise<void> => {
  await channel.deleteQueue(names.queue)
  for (const step of DELAY_STEPS_MS) await channel.deleteQueue(delayQueue(names, step))
  await channel.deleteQueue(names.deadLetterQueue)
  await channel.deleteExchange(names.deadLetterExchange)
}
