import { Duration, Metric, MetricBoundaries } from "effect"

/** Requests answered, by method, route template (never the raw path) and status. */
export const httpRequests = Metric.counter("swiftpay_http_requests_total", {
  description: "HTTP requests by method, route and status",
  incremental: true
})

export const httpDuration = Metric.histogram(
  "swiftpay_http_request_duration_ms",
  MetricBoundaries.exponential({ start: 0.5, factor: 2, count: 16 }),
  "HTTP request duration in milliseconds, by route"
).pipe(Metric.mapInput(Duration.toMillis))
