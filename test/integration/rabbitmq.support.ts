import { execFile } from "node:child_process"
import { promisify } from "node:util"
import * as amqp from "amqplib"
import { Effect, Redacted, Schedule } from "effect"
import { makeTransactionId, UserId } from "../../src/domain/index.js"
import * as RabbitPayoutQueue from "../../src/infra/rabbitmq/payoutQueue.js"
import { deleteTopology, prefixedNames, type QueueNames } from "../../src/infra/rabbitmq/topology.js"
import type { PayoutMessage } from "../../src/ports/PayoutQueue.js"
import { unique, within } from "../contracts/time.js"

export const url = Redacted.make(process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672")

/** A raw channel for looking behind the layer's back. */
export const rawChannel = Effect.acquireRelease(
  Effect.promise(async () => {
    const connection = await amqp.connect(Redacted.value(url))
    connection.on("error", () => {})
    const channel = await connection.createChannel()
    channel.on("error", () => {})
    return { connection, channel }
  }),
  ({ connection }) => Effect.promise(() => connection.close().catch(() => undefined))
).pipe(Effect.map(({ channel }) => channel))

/** Fresh queue names and connection name for one test; the queues are deleted when its scope closes. */
export const isolated = Effect.acquireRelease(
  Effect.sync(() => ({ names: prefixedNames(`${unique("t")}_`), connectionName: unique("swiftpay-test") })),
  ({ names }) =>
    rawChannel.pipe(
      Effect.flatMap((channel) => Effect.promise(() => deleteTopology(channel, names).catch(() => undefined))),
      Effect.scoped
    )
)

export const queueLayer = (
  names: QueueNames,
  connectionName: string,
  options: Partial<RabbitPayoutQueue.RabbitPayoutQueueOptions> = {}
) =>
  RabbitPayoutQueue.layer({
    url,
    names,
    connectionName,
    retryDelay: "50 millis",
    reconnect: Schedule.spaced("100 millis"),
    ...options
  })

export const message: Effect.Effect<PayoutMessage> = Effect.map(makeTransactionId, (transactionId) => ({
  transactionId,
  userId: UserId.make("rabbit-user"),
  expectedAttempts: 0
}))

const run = promisify(execFile)

/** Closes, on the broker side, every connection that announced this name. */
export const killConnections = (connectionName: string) =>
  Effect.promise(async () => {
    const { stdout } = await run("rabbitmqctl", [
      "-q",
      "list_connections",
      "pid",
      "client_properties",
      "--no-table-headers"
    ])
    const pids = stdout
      .split("\n")
      .filter((line) => line.includes(`"connection_name","${connectionName}"`))
      .map((line) => line.split("\t")[0] ?? "")
      .filter((pid) => pid !== "")
    for (const pid of pids) await run("rabbitmqctl", ["-q", "close_connection", pid, "killed by test"])
    return pids.length
  })

/** Re-runs `probe` until `done` holds (no fixed sleeps: a bounded poll of broker state). */
export const eventually = <A, E, R>(probe: Effect.Effect<A, E, R>, done: (a: A) => boolean, what: string) =>
  probe.pipe(
    Effect.filterOrFail(done, () => new Error(`not yet: ${what}`)),
    Effect.retry(Schedule.spaced("20 millis")),
    within("15 seconds", what)
  )
