import { Context, Effect, FiberRef, FiberRefs, HashMap, Layer, List, Logger, Option, Tracer } from "effect"
import { Settings } from "../settings.js"

const spanOf = (refs: FiberRefs.FiberRefs): Option.Option<Tracer.AnySpan> =>
  Context.getOption(FiberRefs.getOrDefault(refs, FiberRef.currentContext), Tracer.ParentSpan)

/** One JSON object per line, with the trace and span ids of the current span when there is one. */
export const jsonLogger = Logger.make(({ logLevel, message, cause, annotations, date, context, spans }) => {
  const span = spanOf(context)
  const messages = Array.isArray(message) ? message : [message]
  const record: Record<string, unknown> = {
    time: date.toISOString(),
    level: logLevel.label,
    message: messages.length === 1 ? messages[0] : messages,
    ...Object.fromEntries(HashMap.toEntries(annotations)),
    ...(Option.isSome(span) ? { traceId: span.value.traceId, spanId: span.value.spanId } : {}),
    ...(List.isCons(spans) ? { logSpan: List.toArray(spans).map((s) => s.label) } : {}),
    ...(cause._tag === "Empty" ? {} : { cause: String(cause) })
  }
  globalThis.console.log(JSON.stringify(record, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)))
})

/** The process logger: JSON lines (gateway, worker) or pretty lines for people (embedded), at LOG_LEVEL. */
export const layer = (format: "json" | "pretty") =>
  Layer.unwrapEffect(
    Effect.map(Settings.logLevel, (level) =>
      Layer.merge(
        Logger.replace(Logger.defaultLogger, format === "json" ? jsonLogger : Logger.prettyLoggerDefault),
        Logger.minimumLogLevel(level)
      )
    )
  )
