import { Config, Effect, Layer, Option } from "effect"
import { HealthChecks, portProbes } from "../http/HealthChecks.js"
import * as Tracing from "../infra/otel/tracing.js"
import type { EventBus } from "../ports/EventBus.js"
import type { EventLog } from "../ports/EventLog.js"
import * as MemoryEventBus from "../ports/memory/eventBus.js"
import * as MemoryQueue from "../ports/memory/payoutQueue.js"
import * as MemoryStore from "../ports/memory/payoutStore.js"
import * as MemoryRailBook from "../ports/memory/railBook.js"
import * as MemoryRateLimiter from "../ports/memory/rateLimiter.js"
import * as SimulatedRail from "../ports/memory/settlementRail.js"
import * as MemoryLock from "../ports/memory/userLock.js"
import * as MemoryWebhookStore from "../ports/memory/webhookStore.js"
import type { PayoutQueue } from "../ports/PayoutQueue.js"
import type { PayoutStore } from "../ports/PayoutStore.js"
import type { RailReturns } from "../ports/RailReturns.js"
import type { RateLimiter } from "../ports/RateLimiter.js"
import type { SettlementRail } from "../ports/SettlementRail.js"
import type { UserLock } from "../ports/UserLock.js"
import type { WebhookStore } from "../ports/WebhookStore.js"
import { Accounts } from "../programs/Accounts.js"
import { BankReturns, BankReturnsLoop } from "../programs/BankReturns.js"
import { EventRelay, EventRelayLoop } from "../programs/EventRelay.js"
import { PayoutChanges } from "../programs/PayoutChanges.js"
import { PayoutIntake } from "../programs/PayoutIntake.js"
import { PayoutSettlement } from "../programs/PayoutSettlement.js"
import { Recovery, RecoveryLoop } from "../programs/Recovery.js"
import { SettlementConsumer } from "../programs/SettlementConsumer.js"
import { seedUsers } from "../programs/seed.js"
import { WebhookDispatch, WebhookLoop } from "../programs/webhooks/WebhookDispatch.js"
import { WebhookEndpoints } from "../programs/webhooks/WebhookEndpoints.js"
import { leaseSettings, railSettings, Settings } from "../settings.js"
import * as Banner from "./banner.js"
import * as StartupConfig from "./config.js"
import * as GatewayHttp from "./gatewayHttp.js"
import type { ListenOptions } from "./httpServer.js"
import * as JwtLayer from "./jwt.js"
import * as Logging from "./logging.js"
import * as Webhooks from "./webhooks.js"

/**
 * Every port in this process. The queue redelivers a failed delivery after
 * RETRY_DELAY_MS and dead-letters it on the 5th; on stop, in-flight
 * settlements get 10 s. The queue and rail layers also output their test
 * handles (MemoryQueue, MemoryRail).
 */
/** The memory store with the daily limit defaults of the settings. */
const MemoryStoreLive = Layer.unwrapEffect(
  Effect.map(Effect.orDie(Settings.dailyPayoutLimits), (dailyLimits) => MemoryStore.layerWith({ dailyLimits }))
)

export const memoryPorts = <E = never>(
  store: Layer.Layer<PayoutStore | EventLog, E> = MemoryStoreLive as Layer.Layer<PayoutStore | EventLog, E>
) =>
  Layer.mergeAll(
    store,
    MemoryWebhookStore.layer,
    MemoryLock.layerConfig(leaseSettings),
    MemoryRateLimiter.layer,
    MemoryEventBus.layer,
    MemoryQueue.layerConfig({
      redeliveryDelayMs: Settings.retryDelayMs,
      maxDeliveries: Config.succeed(5),
      drainTimeoutMs: Config.succeed(10_000)
    }),
    Layer.mergeAll(SimulatedRail.layerConfig(railSettings), SimulatedRail.handle).pipe(
      Layer.provideMerge(MemoryRailBook.layer)
    )
  )

export const MemoryPorts = memoryPorts()

/** Every use case, on whatever ports are provided (webhooks go out over HTTP, guarded). */
export const Programs = Layer.mergeAll(
  PayoutIntake.layer,
  PayoutChanges.layer,
  PayoutSettlement.layerWithCircuits,
  Recovery.layer,
  EventRelay.layer,
  Accounts.layer,
  WebhookEndpoints.layer,
  WebhookDispatch.layer
).pipe(
  // the rail's returns go through PayoutChanges, the admin return's program
  (programs) => Layer.provideMerge(BankReturns.layer, programs),
  Layer.provide(Layer.merge(Webhooks.UrlCheck, Webhooks.Sender))
)

/** The worker's background loops: queue consumer, recovery, the rail's returns, event relay, webhook delivery. */
export const WorkerLoops = Layer.mergeAll(
  SettlementConsumer,
  RecoveryLoop,
  BankReturnsLoop,
  EventRelayLoop,
  WebhookLoop
)

export const embeddedHealth = HealthChecks.layer({
  store: portProbes.store,
  queue: portProbes.queue,
  lock: portProbes.lock,
  rateLimiter: portProbes.rateLimiter,
  eventBus: portProbes.eventBus
})

export interface EmbeddedOptions<A, E> extends ListenOptions {
  /** The ports: `MemoryPorts` for npm start; tests wrap one to make it fail. */
  readonly ports: Layer.Layer<A, E>
  /** Print the URLs and demo tokens once listening (npm start). */
  readonly banner?: boolean | undefined
}

export type Ports =
  | PayoutStore
  | EventLog
  | WebhookStore
  | UserLock
  | RateLimiter
  | EventBus
  | PayoutQueue
  | SettlementRail
  | RailReturns

/**
 * `npm start`: gateway and worker in one process on the given ports, the seeded users, HTTP + Socket.IO
 * on HOST:PORT (127.0.0.1 unless HOST says otherwise). Every setting is checked
 * first, all at once; then it is built bottom-up (logging, ports, programs, seed and worker loops,
 * then the edge) and released top-down. Outputs the ports and the server so
 * tests can look inside.
 */
export const layer = <A, E>({ ports, banner, ...listen }: EmbeddedOptions<A, E>) => {
  const edge = GatewayHttp.layer({ defaultHost: StartupConfig.defaultHost("embedded"), ...listen })
  const app = (banner === true ? Layer.provideMerge(Banner.layer, edge) : edge).pipe(
    Layer.provide(Layer.mergeAll(WorkerLoops, Layer.effectDiscard(Effect.orDie(seedUsers)))),
    Layer.provideMerge(Layer.mergeAll(Programs, embeddedHealth, JwtLayer.layer({ allowDevelopmentSecret: true })))
  )
  return Layer.provideMerge(app, ports).pipe(
    Layer.provide(
      Tracing.layerConfig({
        serviceName: Config.succeed("swiftpay-embedded"),
        endpoint: Config.map(Settings.otlpEndpoint, Option.getOrUndefined)
      })
    ),
    Layer.provide(Logging.layer("lines")),
    Layer.provide(StartupConfig.layer("embedded"))
  )
}
