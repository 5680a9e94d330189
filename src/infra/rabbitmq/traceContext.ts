import { Effect, Option, Tracer } from "effect"

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/** W3C `traceparent` of the current span, when there is one. */
export const currentTraceparent: Effect.Effect<Option.Option<string>> = Effect.currentSpan.pipe(
  Effect.map((span) => `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`),
  Effect.option
)

/** The remote parent a `traceparent` header names; None when absent or malformed. */
export const parseTraceparent = (header: string | undefined): Option.Option<Tracer.ExternalSpan> => {
  const match = header === undefined ? null : TRACEPARENT.exec(header)
  if (match === null) return Option.none()
  const [, traceId = "", spanId = "", flags = "00"] = match
  return Option.some(Tracer.externalSpan({ traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 }))
}
