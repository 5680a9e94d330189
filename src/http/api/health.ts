import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { ApiErrors } from "./errors.js"

export const SERVICE = { name: "swiftpay", version: "1.0.0" } as const

export const Liveness = Schema.Struct({
  success: Schema.Literal(true),
  status: Schema.Literal("healthy"),
  timestamp: Schema.String,
  service: Schema.String
})

export const DependencyHealth = Schema.Struct({
  status: Schema.Literal("up", "down"),
  latencyMs: Schema.Number,
  error: Schema.optional(Schema.String)
})

export const DetailedHealth = Schema.Struct({
  success: Schema.Boolean,
  status: Schema.Literal("healthy", "degraded", "unhealthy"),
  dependencies: Schema.Record({ key: Schema.String, value: DependencyHealth }),
  circuits: Schema.optional(
    Schema.Record({ key: Schema.String, value: Schema.Literal("closed", "open", "half-open") }).annotations({
      description:
        "circuit breakers of this process (the worker's rail): open means the rail is left alone for a cool-down"
    })
  ),
  uptime: Schema.Number.annotations({ description: "seconds since start" }),
  version: Schema.String,
  timestamp: Schema.String
}).annotations({ identifier: "DetailedHealth" })

export const Readiness = Schema.Struct({ success: Schema.Boolean, ready: Schema.Boolean })

export class HealthGroup extends HttpApiGroup.make("health")
  .add(HttpApiEndpoint.get("health", "/api/health").addSuccess(Liveness))
  .add(
    HttpApiEndpoint.get("detailed", "/api/health/detailed")
      .addSuccess(DetailedHealth)
      .addError(DetailedHealth, { status: 503 })
      .annotate(OpenApi.Summary, "Every dependency checked, with its latency; 503 when one is down")
  )
  .add(HttpApiEndpoint.get("ready", "/api/health/ready").addSuccess(Readiness).addError(Readiness, { status: 503 }))
  .add(
    HttpApiEndpoint.get("live", "/api/health/live").addSuccess(
      Schema.Struct({ success: Schema.Literal(true), alive: Schema.Literal(true) })
    )
  )
  .annotate(OpenApi.Title, "Health") {}

export class MetaGroup extends HttpApiGroup.make("meta")
  .add(
    HttpApiEndpoint.get("index", "/api")
      .addSuccess(
        Schema.Struct({
          success: Schema.Literal(true),
          service: Schema.String,
          version: Schema.String,
          docs: Schema.String,
          openapi: Schema.String,
          endpoints: Schema.Array(Schema.String)
        })
      )
      .addError(ApiErrors.RateLimitExceeded)
  )
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
      .annotate(OpenApi.Summary, "Prometheus text format")
  )
  .annotate(OpenApi.Title, "Meta") {}
