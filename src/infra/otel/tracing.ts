import { NodeSdk } from "@effect/opentelemetry"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Option } from "effect"
import { Settings } from "../../settings.js"

/**
 * OpenTelemetry tracing, exported over OTLP/HTTP (Jaeger accepts it on :4318)
 * when OTEL_EXPORTER_OTLP_ENDPOINT is set; without it, no SDK is installed and
 * Effect's spans cost next to nothing. Spans are batched: exporting one by one
 * halves throughput on two cores (docs/architecture.md, Observability).
 */
export const layer = (serviceName: string, endpoint: string): Layer.Layer<never> =>
  NodeSdk.layer(() => ({
    resource: { serviceName, serviceVersion: "1.0.0" },
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, "")}/v1/traces` }), {
      scheduledDelayMillis: 500
    }),
    shutdownTimeout: "5 seconds"
  })).pipe(Layer.discard)

export const layerConfig = (serviceName: string): Layer.Layer<never> =>
  Layer.unwrapEffect(
    Effect.map(Settings.otlpEndpoint, (endpoint) =>
      Option.match(endpoint, {
        onNone: () => Layer.empty,
        onSome: (url) => layer(serviceName, url)
      })
    ).pipe(Effect.orDie)
  )
