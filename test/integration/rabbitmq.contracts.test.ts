import { Context, Effect, Layer } from "effect"
import { payoutQueueContract } from "../contracts/payoutQueue.js"
import { realClock } from "../contracts/time.js"
import { isolated, queueLayer, rawChannel } from "./rabbitmq.support.js"

class RawInjector extends Context.Tag("test/RawInjector")<
  RawInjector,
  (raw: unknown) => Effect.Effect<void, unknown>
>() {}

const options = { redeliveryDelayMs: 300, maxDeliveries: 3 }

/** Every build gets its own queues (deleted when the test's scope closes) and its own connection. */
const layer = Layer.unwrapScoped(
  Effect.gen(function* () {
    const { names, connectionName } = yield* isolated
    const channel = yield* rawChannel
    const inject = Layer.succeed(RawInjector, (raw: unknown) =>
      Effect.sync(() => channel.sendToQueue(names.queue, Buffer.from(JSON.stringify(raw)), { persistent: true }))
    )
    const queue = queueLayer(names, connectionName, {
      retryDelay: `${options.redeliveryDelayMs} millis`,
      maxDeliveries: options.maxDeliveries
    })
    return Layer.merge(queue, inject)
  })
)

payoutQueueContract("rabbitmq", layer, {
  time: realClock,
  ...options,
  injectRaw: (raw) => Effect.flatMap(RawInjector, (inject) => inject(raw))
})
