import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Clock, Effect } from "effect"
import { SERVICE } from "../api/health.js"
import { SwiftPayApi } from "../api/SwiftPayApi.js"
import { HealthChecks } from "../HealthChecks.js"

export const HealthLive = HttpApiBuilder.group(SwiftPayApi, "health", (handlers) =>
  Effect.gen(function* () {
    const checks = yield* HealthChecks
    const startedAt = yield* Clock.currentTimeMillis
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

    const detailed = Effect.gen(function* () {
      const dependencies = yield* checks.run
      const statuses = Object.values(dependencies)
      const down = statuses.filter((d) => d.status === "down").length
      const uptime = Math.floor(((yield* Clock.currentTimeMillis) - startedAt) / 1000)
      return {
        success: down === 0,
        status:
          down === 0 ? ("healthy" as const) : down < statuses.length ? ("degraded" as const) : ("unhealthy" as const),
        dependencies,
        uptime,
        version: SERVICE.version,
        timestamp: yield* now
      }
    })

    return handlers
      .handle("health", () =>
        Effect.map(now, (timestamp) => ({
          success: true as const,
          status: "healthy" as const,
          timestamp,
          service: SERVICE.name
        }))
      )
      .handle(
        "detailed",
        Effect.fn("http.health.detailed")(function* () {
          const report = yield* detailed
          return report.success ? report : yield* HttpServerResponse.json(report, { status: 503 }).pipe(Effect.orDie)
        })
      )
      .handle(
        "ready",
        Effect.fn("http.health.ready")(function* () {
          const report = yield* detailed
          return report.success
            ? { success: true, ready: true }
            : HttpServerResponse.unsafeJson({ success: false, ready: false }, { status: 503 })
        })
      )
      .handle("live", () => Effect.succeed({ success: true as const, alive: true as const }))
  })
)
