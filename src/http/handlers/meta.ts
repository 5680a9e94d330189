import { HttpApiBuilder } from "@effect/platform"
import { Effect, Metric } from "effect"
import { PayoutQueue } from "../../ports/PayoutQueue.js"
import { SERVICE } from "../api/health.js"
import { OpsApi } from "../api/OpsApi.js"
import { SwiftPayApi } from "../api/SwiftPayApi.js"
import { render, type Sample } from "../prometheus.js"
import { routes } from "../routes.js"

/** The index and /metrics, shared by the API and the ops server. */
const make = Effect.gen(function* () {
  const queue = yield* PayoutQueue

  /** Queue depth is read from the broker at scrape time; a broker that does not answer is left out. */
  const queueSamples = queue.stats.pipe(
    Effect.map(
      (stats): ReadonlyArray<Sample> => [
        {
          name: "swiftpay_queue_messages",
          type: "gauge",
          help: "Payout messages in the queue, by state",
          labels: [],
          lines: Object.entries(stats).map(([state, n]) => `swiftpay_queue_messages{state="${state}"} ${n}`)
        }
      ]
    ),
    Effect.orElseSucceed((): ReadonlyArray<Sample> => [])
  )

  return {
    index: Effect.succeed({
      success: true as const,
      service: SERVICE.name,
      version: SERVICE.version,
      docs: "/api/docs",
      openapi: "/api/openapi.json",
      endpoints: routes.map((r) => `${r.method} ${r.path}`)
    }),
    metrics: Effect.zipWith(Metric.snapshot, queueSamples, render)
  }
})

export const MetaLive = HttpApiBuilder.group(SwiftPayApi, "meta", (handlers) =>
  Effect.map(make, (m) => handlers.handle("index", () => m.index).handle("metrics", () => m.metrics))
)

export const OpsMetaLive = HttpApiBuilder.group(OpsApi, "meta", (handlers) =>
  Effect.map(make, (m) => handlers.handle("index", () => m.index).handle("metrics", () => m.metrics))
)
