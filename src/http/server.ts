import { HttpApiBuilder, HttpApiSwagger, HttpMiddleware } from "@effect/platform"
import { Layer } from "effect"
import { OpsApi } from "./api/OpsApi.js"
import { SwiftPayApi } from "./api/SwiftPayApi.js"
import { AdminLive } from "./handlers/admin.js"
import { AdminAuthenticationLive, AuthenticationLive } from "./handlers/auth.js"
import { EventsLive } from "./handlers/events.js"
import { HealthLive, OpsHealthLive } from "./handlers/health.js"
import { MetaLive, OpsMetaLive } from "./handlers/meta.js"
import { PayoutRateLimitLive, PayoutsLive } from "./handlers/payouts.js"
import { WebhooksLive } from "./handlers/webhooks.js"
import { EdgeMiddleware, isUntraced, OpsEdgeMiddleware } from "./middleware.js"
import { routeOf } from "./routes.js"

const ApiLive = HttpApiBuilder.api(SwiftPayApi).pipe(
  Layer.provide([PayoutsLive, EventsLive, WebhooksLive, AdminLive, HealthLive, MetaLive]),
  Layer.provide([AuthenticationLive, AdminAuthenticationLive, PayoutRateLimitLive])
)

/**
 * The whole HTTP API served on the runtime's HttpServer: contract, handlers,
 * OpenAPI at /api/openapi.json, Swagger UI at /api/docs, the edge middleware.
 * Needs the programs, PayoutStore, PayoutQueue, RateLimiter, Jwt and HealthChecks.
 */
export const HttpApiLive = HttpApiBuilder.serve().pipe(
  Layer.provide(HttpApiSwagger.layer({ path: "/api/docs" })),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/api/openapi.json" })),
  Layer.provide(EdgeMiddleware),
  Layer.provide(ApiLive),
  HttpMiddleware.withTracerDisabledWhen(isUntraced),
  // Spans are named by route template, never by raw path (ids would explode the span names).
  HttpMiddleware.withSpanNameGenerator((request) => `${request.method} ${routeOf(request.method, request.url)}`)
)

/** Health and /metrics only, for a process without the API (the worker). Needs HealthChecks and PayoutQueue. */
export const HttpOpsLive = HttpApiBuilder.serve().pipe(
  Layer.provide(OpsEdgeMiddleware),
  Layer.provide(HttpApiBuilder.api(OpsApi).pipe(Layer.provide([OpsHealthLive, OpsMetaLive]))),
  HttpMiddleware.withTracerDisabledWhen(() => true)
)
