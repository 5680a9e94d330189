import { execFile } from "node:child_process"
import { randomUUID } from "node:crypto"
import { promisify } from "node:util"
import { CongoServer } from "@push.rocks/smartmongo/dist_ts/congodb/index.js"
import * as amqp from "amqplib"
import { Effect, Layer, Redacted } from "effect"
import { MongoClient } from "mongodb"
import { Mongo } from "../../../src/infra/mongo/client.js"
import * as MongoPayoutStore from "../../../src/infra/mongo/payoutStore.js"
import { DELAY_STEPS_MS, defaultNames, delayQueue } from "../../../src/infra/rabbitmq/topology.js"
import { seedUsers } from "../../../src/programs/seed.js"
import { freePort } from "./processes.js"

const run = promisify(execFile)

export interface Resource<A> {
  readonly value: A
  readonly release: () => Promise<void>
}

/**
 * A MongoDB for the services, in a database of its own: `MONGODB_URI` when it is
 * set (the database is dropped at the end), else an in-process CongoServer.
 * CongoServer does not speak the streaming heartbeat: its URI asks for polling.
 */
export const startMongo = async (): Promise<Resource<{ readonly uri: string; readonly kind: string }>> => {
  const database = `swiftpay_e2e_${randomUUID().slice(0, 8)}`
  const external = process.env.MONGODB_URI
  if (external !== undefined && external !== "") {
    const url = new URL(external)
    url.pathname = `/${database}`
    const uri = url.toString()
    return {
      value: { uri, kind: "MONGODB_URI" },
      release: async () => {
        const client = new MongoClient(uri)
        await client
          .connect()
          .then(() => client.db(database).dropDatabase())
          .catch(() => undefined)
        await client.close().catch(() => undefined)
      }
    }
  }
  const port = await freePort()
  const server = new CongoServer({ port, host: "127.0.0.1" })
  await server.start()
  return {
    value: { uri: `mongodb://127.0.0.1:${port}/${database}?serverMonitoringMode=poll`, kind: "CongoServer" },
    release: () => server.stop().catch(() => undefined)
  }
}

/** The docs/api.md users, created and funded through the store (what `npm run seed` runs). */
export const seed = (uri: string): Promise<ReadonlyArray<string>> =>
  Effect.runPromise(
    seedUsers.pipe(Effect.provide(MongoPayoutStore.layer.pipe(Layer.provide(Mongo.layer({ uri: Redacted.make(uri) })))))
  )

const baseRabbitUrl = () => process.env.RABBITMQ_URL ?? "amqp://guest:guest@127.0.0.1:5672"

/**
 * A RabbitMQ for the services that no other run shares. The queue names are fixed
 * (payout_queue, ...), so a throw-away vhost (rabbitmqctl, deleted at the end)
 * keeps other runs' workers and leftovers away. Where rabbitmqctl is not
 * available (a remote broker), the default vhost's queues are purged instead.
 */
export const isolatedRabbit = async (): Promise<Resource<{ readonly url: string; readonly isolation: string }>> => {
  const base = new URL(baseRabbitUrl())
  const vhost = `swiftpay_e2e_${randomUUID().slice(0, 8)}`
  const user = decodeURIComponent(base.username) || "guest"
  try {
    await run("rabbitmqctl", ["add_vhost", vhost], { timeout: 15_000 })
    await run("rabbitmqctl", ["set_permissions", "-p", vhost, user, ".*", ".*", ".*"], { timeout: 15_000 })
    const url = new URL(base.toString())
    url.pathname = `/${encodeURIComponent(vhost)}`
    return {
      value: { url: url.toString(), isolation: `vhost ${vhost}` },
      release: () =>
        run("rabbitmqctl", ["delete_vhost", vhost], { timeout: 15_000 }).then(
          () => undefined,
          () => undefined
        )
    }
  } catch {
    await purgeDefaultQueues(base.toString())
    return { value: { url: base.toString(), isolation: "purged default queues" }, release: async () => {} }
  }
}

const purgeDefaultQueues = async (url: string) => {
  const connection = await amqp.connect(url)
  connection.on("error", () => {})
  try {
    const delays = DELAY_STEPS_MS.map((ms) => delayQueue(defaultNames, ms))
    for (const queue of [defaultNames.queue, ...delays, defaultNames.deadLetterQueue]) {
      // a missing queue closes the channel: one channel per queue
      const channel = await connection.createChannel()
      channel.on("error", () => {})
      await channel.purgeQueue(queue).catch(() => undefined)
      await channel.close().catch(() => undefined)
    }
  } finally {
    await connection.close().catch(() => undefined)
  }
}
