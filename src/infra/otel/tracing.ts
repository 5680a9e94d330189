import { NodeSdk } from "@effect/opentelemetry"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Config, type ConfigError, Effect, Layer } from "effect"

export interface TracingOptions {
  readonly serviceName: string
  /** The OTLP/HTTP base URL; without one, no SDK is installed. */
  readonly endpoint?: string | undefined
}

/**
 * OpenTelemetry tracing, exported over OTLP/HTTP (Jaeger accepts it on :4318)
 * when an endpoint is given; without it, no SDK is installed and Effect's spans
 * cost next to nothing. Spans are batched: exporting one by one halves
 * throughput on two cores (docs/architecture.md, Observability).
 */
export const layer = ({ serviceName, endpoint }: TracingOptions): Layer.Layer<never> =>
  endpoint === undefined
    ? Layer.empty
    : NodeSdk.layer(() => ({
        resource: { serviceName, serviceVersion: "1.0.0" },
        spanProcessor: new BatchSpanProcessor(
          new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, "")}/v1/traces` }),
          { scheduledDelayMillis: 500 }
        ),
        shutdownTimeout: "5 seconds"
      })).pipe(Layer.discard)

export const layerConfig = (config: Config.Config.Wrap<TracingOptions>): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
