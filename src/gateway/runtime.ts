import { HttpServer } from "@effect/platform"
import { Layer } from "effect"
import { HealthChecks, portProbes } from "../http/HealthChecks.js"
import { Accounts } from "../programs/Accounts.js"
import { PayoutChanges } from "../programs/PayoutChanges.js"
import { PayoutIntake } from "../programs/PayoutIntake.js"
import { WebhookEndpoints } from "../programs/webhooks/WebhookEndpoints.js"
import * as StartupConfig from "../runtime/config.js"
import * as GatewayHttp from "../runtime/gatewayHttp.js"
import * as Infra from "../runtime/infra.js"
import * as JwtLayer from "../runtime/jwt.js"
import * as Logging from "../runtime/logging.js"
import * as Webhooks from "../runtime/webhooks.js"

const Health = HealthChecks.layer({ mongodb: portProbes.store, redis: Infra.redisProbe, rabbitmq: portProbes.queue })

/**
 * The gateway: HTTP API + Socket.IO on PORT, intake on MongoDB, Redis (lock,
 * limits, events) and RabbitMQ (publish), webhook endpoints managed (the worker
 * delivers). Stateless: run as many as you like.
 */
export const layer = HttpServer.withLogAddress(GatewayHttp.layer()).pipe(
  Layer.provide(
    Layer.mergeAll(
      PayoutIntake.layer,
      PayoutChanges.layer,
      Accounts.layer,
      WebhookEndpoints.layer.pipe(Layer.provide(Webhooks.UrlCheck)),
      Health,
      JwtLayer.layer({ allowDevelopmentSecret: false })
    )
  ),
  Layer.provideMerge(Layer.mergeAll(Infra.Store, Infra.Queue, Infra.RedisPorts)),
  Layer.provideMerge(Infra.Redis),
  Layer.provide(Infra.tracing("swiftpay-gateway")),
  Layer.provide(Logging.layer("json")),
  Layer.provide(StartupConfig.layer("gateway"))
)
