import { createServer } from "node:net"
import { CongoServer } from "@push.rocks/smartmongo/dist_ts/congodb/index.js"
import { Effect, Layer, Redacted } from "effect"
import type { ServiceUnavailable } from "../../src/domain/index.js"
import { Mongo } from "../../src/infra/mongo/client.js"
import * as MongoEventLog from "../../src/infra/mongo/eventLog.js"
import * as MongoPayoutStore from "../../src/infra/mongo/payoutStore.js"
import * as MongoWebhookStore from "../../src/infra/mongo/webhookStore.js"
import type { EventLog } from "../../src/ports/EventLog.js"
import type { PayoutStore } from "../../src/ports/PayoutStore.js"
import type { WebhookStore } from "../../src/ports/WebhookStore.js"
import type { StoreContractOptions } from "../contracts/payoutStore.js"

/** A port the OS just handed out; CongoServer cannot listen on 0 and report the port back. */
export const freePort = Effect.async<number, Error>((resume) => {
  const probe = createServer()
  probe.once("error", (e) => resume(Effect.fail(e)))
  probe.listen(0, "127.0.0.1", () => {
    const address = probe.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    probe.close(() => resume(port > 0 ? Effect.succeed(port) : Effect.fail(new Error("no free port"))))
  })
})

/** An in-process CongoServer (MongoDB wire protocol, in memory) for the layer's lifetime. */
export const congoClient: Layer.Layer<Mongo, ServiceUnavailable | Error> = Layer.unwrapScoped(
  Effect.gen(function* () {
    const port = yield* freePort
    const server = yield* Effect.acquireRelease(
      Effect.tryPromise(async () => {
        const s = new CongoServer({ port, host: "127.0.0.1" })
        await s.start()
        return s
      }),
      (s) => Effect.promise(() => s.stop())
    )
    // CongoServer does not speak the streaming heartbeat: a streamed hello fails and clears the pool mid-test
    const uri = `${server.getConnectionUri()}/?serverMonitoringMode=poll`
    return Mongo.layer({ uri: Redacted.make(uri), database: "swiftpay_test" })
  })
)

/** A real MongoDB (a replica set for transactions), in a throw-away database dropped at the end. */
export const realClient = (uri: string): Layer.Layer<Mongo, ServiceUnavailable> => {
  const database = `swiftpay_test_${crypto.randomUUID().slice(0, 8)}`
  const drop = Layer.scopedDiscard(
    Effect.addFinalizer(() =>
      Effect.flatMap(Mongo, (m) => Effect.promise(() => m.db.dropDatabase())).pipe(Effect.ignore)
    )
  )
  return Layer.provideMerge(drop, Mongo.layer({ uri: Redacted.make(uri), database }))
}

export const onCongo = {
  rollback:
    "CongoServer neither isolates nor rolls back a transaction: racing atomic batches never overdraw, but one may be half written; all-or-nothing under a race runs against MONGODB_URI",
  uniqueness:
    "CongoServer does not enforce unique indexes, so two racing createUser calls can both insert; runs against MONGODB_URI"
} satisfies StoreContractOptions["skip"]

/** The store under test: on `MONGODB_URI` when it is set, else on an in-process CongoServer. */
export const storeUnderTest = (
  uri: string | undefined
): {
  readonly name: string
  readonly layer: Layer.Layer<PayoutStore | EventLog>
  readonly options: StoreContractOptions
} =>
  uri === undefined || uri === ""
    ? {
        name: "mongo (CongoServer)",
        layer: Layer.orDie(Layer.provide(Layer.merge(MongoPayoutStore.layer, MongoEventLog.layer), congoClient)),
        options: { skip: onCongo }
      }
    : {
        name: "mongo (MONGODB_URI)",
        layer: Layer.orDie(Layer.provide(Layer.merge(MongoPayoutStore.layer, MongoEventLog.layer), realClient(uri))),
        options: {}
      }

/** The webhook store under test: on `MONGODB_URI` when it is set, else on an in-process CongoServer. */
export const webhookStoreUnderTest = (
  uri: string | undefined
): { readonly name: string; readonly layer: Layer.Layer<WebhookStore> } =>
  uri === undefined || uri === ""
    ? { name: "mongo (CongoServer)", layer: Layer.orDie(Layer.provide(MongoWebhookStore.layer, congoClient)) }
    : { name: "mongo (MONGODB_URI)", layer: Layer.orDie(Layer.provide(MongoWebhookStore.layer, realClient(uri))) }
