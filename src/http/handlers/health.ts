import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Clock, Effect, Option } from "effect"
import { Circuits } from "../../programs/circuitBreaker.js"
import { SERVICE } from "../api/health.js"
import { OpsApi } from "../api/OpsApi.js"
import { SwiftPayApi } from "../api/SwiftPayApi.js"
import { HealthChecks } from "../HealthChecks.js"

/** The health endpoints, shared by the API and the ops server. */
const make = Effect.gen(function* () {
  const checks = yield* HealthChecks
  const circuits = yield* Effect.serviceOption(Circuits)
  const startedAt = yield* Clock.currentTimeMillis
  const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

  const detailed = Effect.gen(function* () {
    const dependencies = yield* checks.run
    const statuses = Object.values(dependencies)
    const down = statuses.filter((d) => d.status === "down").length
    const uptime = Math.floor(((yield* Clock.currentTimeMillis) - startedAt) / 1000)
    const breakers = Option.isSome(circuits) ? yield* circuits.value : undefined
    // an open breaker degrades the service but is no reason to restart the process: readiness ignores it
    const tripped = breakers !== undefined && Object.values(breakers).some((s) => s !== "closed")
    return {
      success: down === 0,
      status:
        down === statuses.length && down > 0
          ? ("unhealthy" as const)
          : down > 0 || tripped
            ? ("degraded" as const)
            : ("healthy" as const),
      dependencies,
      ...(breakers === undefined ? {} : { circuits: breakers }),
      uptime,
      version: SERVICE.version,
      timestamp: yield* now
    }
  })

  return {
    health: Effect.map(now, (timestamp) => ({
      success: true as const,
      status: "healthy" as const,
      timestamp,
      service: SERVICE.name
    })),
    detailed: Effect.map(detailed, (report) =>
      report.success ? report : HttpServerResponse.unsafeJson(report, { status: 503 })
    ),
    ready: Effect.map(detailed, (report) =>
      report.success
        ? { success: true, ready: true }
        : HttpServerResponse.unsafeJson({ success: false, ready: false }, { status: 503 })
    ),
    live: Effect.succeed({ success: true as const, alive: true as const })
  }
})

export const HealthLive = HttpApiBuilder.group(SwiftPayApi, "health", (handlers) =>
  Effect.map(make, (h) =>
    handlers
      .handle("health", () => h.health)
      .handle("detailed", () => h.detailed)
      .handle("ready", () => h.ready)
      .handle("live", () => h.live)
  )
)

export const OpsHealthLive = HttpApiBuilder.group(OpsApi, "health", (handlers) =>
  Effect.map(make, (h) =>
    handlers
      .handle("health", () => h.health)
      .handle("detailed", () => h.detailed)
      .handle("ready", () => h.ready)
      .handle("live", () => h.live)
  )
)
