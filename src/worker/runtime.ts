import { HttpServer } from "@effect/platform"
import { Effect, Layer } from "effect"
import { HealthChecks, portProbes } from "../http/HealthChecks.js"
import { BankReturns, BankReturnsLoop } from "../programs/BankReturns.js"
import { EventRelay, EventRelayLoop } from "../programs/EventRelay.js"
import { PayoutChanges } from "../programs/PayoutChanges.js"
import { PayoutSettlement } from "../programs/PayoutSettlement.js"
import { Recovery, RecoveryLoop } from "../programs/Recovery.js"
import { SettlementConsumer } from "../programs/SettlementConsumer.js"
import { WebhookDispatch, WebhookLoop } from "../programs/webhooks/WebhookDispatch.js"
import * as StartupConfig from "../runtime/config.js"
import * as Infra from "../runtime/infra.js"
import * as Logging from "../runtime/logging.js"
import * as OpsHttp from "../runtime/opsHttp.js"
import * as Webhooks from "../runtime/webhooks.js"
import { Settings } from "../settings.js"

const Health = HealthChecks.layer({ mongodb: portProbes.store, redis: Infra.redisProbe, rabbitmq: portProbes.queue })

/** /api/health/* and /metrics on WORKER_HEALTH_PORT. */
const Ops = Layer.unwrapEffect(
  Effect.map(Settings.workerHealthPort, (port) => HttpServer.withLogAddress(OpsHttp.layer({ port })))
)

/**
 * The worker: consumes payout_queue (WORKER_CONCURRENCY at once), settles on the
 * simulated rail, re-drives stuck payouts, records the returns the rail reports, publishes events to Redis, delivers
 * webhooks (leased: any number of workers share them). Competing
 * consumers: run as many as you like. On SIGTERM it stops consuming; in-flight
 * deliveries finish or go back to the queue.
 */
export const layer = Layer.mergeAll(
  SettlementConsumer,
  RecoveryLoop,
  BankReturnsLoop,
  EventRelayLoop,
  WebhookLoop,
  Ops
).pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      PayoutSettlement.layerWithCircuits,
      Recovery.layer,
      BankReturns.layer.pipe(Layer.provide(PayoutChanges.layer)),
      EventRelay.layer,
      WebhookDispatch.layer.pipe(Layer.provide(Webhooks.Sender)),
      Health
    )
  ),
  Layer.provideMerge(Layer.mergeAll(Infra.Store, Infra.Queue, Infra.RedisEvents, Infra.Rail)),
  Layer.provideMerge(Infra.Redis),
  Layer.provide(Infra.tracing("swiftpay-worker")),
  Layer.provide(Logging.layer("json")),
  Layer.provide(StartupConfig.layer("worker"))
)
