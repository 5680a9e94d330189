import { HttpApiBuilder } from "@effect/platform"
import { Effect, Metric } from "effect"
import { PayoutQueue } from "../../ports/PayoutQueue.js"
import { SERVICE } from "../api/health.js"
import { SwiftPayApi } from "../api/SwiftPayApi.js"
import { render, type Sample } from "../prometheus.js"
import { routes } from "../routes.js"

export const MetaLive = HttpApiBuilder.group(SwiftPayApi, "meta", (handlers) =>
  Effect.gen(function* () {
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

    return handlers
      .handle("index", () =>
        Effect.succeed({
          success: true as const,
          service: SERVICE.name,
          version: SERVICE.version,
          docs: "/api/docs",
          openapi: "/api/openapi.json",
          endpoints: routes.map((r) => `${r.method} ${r.path}`)
        })
      )
      .handle("metrics", () => Effect.zipWith(Metric.snapshot, queueSamples, render))
  })
)
