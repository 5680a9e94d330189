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

const text = (v: unknown): string => {
  const s =
    typeof v === "string" ? v : JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x))
  return s !== undefined && /^[^\s="]+$/.test(s) ? s : JSON.stringify(s ?? String(v))
}

/**
 * One line per record for people: `12:04:05.123 INFO payout accepted userId=user_001 …`.
 * (Effect's pretty logger prints a block per record and, at a few thousand lines
 * a second, cost a third of the embedded runtime's throughput.)
 */
export const lineLogger = Logger.make(({ logLevel, message, cause, annotations, date }) => {
  const messages = Array.isArray(message) ? message : [message]
  let line = `${date.toISOString().slice(11, 23)} ${logLevel.label} ${messages.map((m) => (typeof m === "string" ? m : text(m))).join(" ")}`
  for (const [k, v] of HashMap.toEntries(annotations)) line += ` ${k}=${text(v)}`
  if (cause._tag !== "Empty") line += `\n${String(cause)}`
  globalThis.console.log(line)
})

/** The process logger: JSON lines (gateway, worker) or one line per record for people (embedded), at LOG_LEVEL. */
export const layer = (format: "json" | "lines") =>
  Layer.unwrapEffect(
    Effect.map(Settings.logLevel, (level) =>
      Layer.merge(
        Logger.replace(Logger.defaultLogger, format === "json" ? jsonLogger : lineLogger),
        Logger.minimumLogLevel(level)
      )
    )
  )
