import { createServer, type IncomingMessage, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { gunzipSync } from "node:zlib"

/** One exported span, flattened out of an OTLP/HTTP JSON `resourceSpans` payload. */
export interface ReceivedSpan {
  readonly service: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly kind: number
  readonly attributes: Readonly<Record<string, string | number | boolean>>
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: the value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string
  /** Every span received so far, in arrival order. */
  readonly spans: () => ReadonlyArray<ReceivedSpan>
  /** Requests that could not be read as OTLP JSON (a test should expect none). */
  readonly rejected: () => ReadonlyArray<string>
  readonly close: () => Promise<void>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)
const list = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

/** OTLP JSON ids are hex; some encoders send base64 (the protobuf JSON mapping): accept both. */
const hexId = (u: unknown): string | undefined => {
  if (typeof u !== "string" || u === "") return undefined
  return /^[0-9a-f]+$/i.test(u) && (u.length === 32 || u.length === 16)
    ? u.toLowerCase()
    : Buffer.from(u, "base64").toString("hex")
}

const anyValue = (u: unknown): string | number | boolean | undefined => {
  if (!isRecord(u)) return undefined
  if (typeof u.stringValue === "string") return u.stringValue
  if (typeof u.boolValue === "boolean") return u.boolValue
  if (typeof u.doubleValue === "number") return u.doubleValue
  if (typeof u.intValue === "number") return u.intValue
  if (typeof u.intValue === "string") return Number(u.intValue)
  return undefined
}

const attributesOf = (u: unknown): Record<string, string | number | boolean> => {
  const out: Record<string, string | number | boolean> = {}
  for (const kv of list(u)) {
    if (!isRecord(kv) || typeof kv.key !== "string") continue
    const value = anyValue(kv.value)
    if (value !== undefined) out[kv.key] = value
  }
  return out
}

/** Flattens `{resourceSpans: [{resource, scopeSpans: [{spans}]}]}`; throws when the shape is not OTLP. */
export const flatten = (body: unknown): ReadonlyArray<ReceivedSpan> => {
  if (!isRecord(body) || !Array.isArray(body.resourceSpans)) throw new Error("no resourceSpans")
  const out: Array<ReceivedSpan> = []
  for (const rs of body.resourceSpans) {
    if (!isRecord(rs)) continue
    const resource = attributesOf(isRecord(rs.resource) ? rs.resource.attributes : undefined)
    const service = String(resource["service.name"] ?? "unknown")
    for (const ss of list(rs.scopeSpans)) {
      if (!isRecord(ss)) continue
      for (const span of list(ss.spans)) {
        if (!isRecord(span)) continue
        const traceId = hexId(span.traceId)
        const spanId = hexId(span.spanId)
        if (traceId === undefined || spanId === undefined) throw new Error("span without ids")
        out.push({
          service,
          traceId,
          spanId,
          parentSpanId: hexId(span.parentSpanId),
          name: typeof span.name === "string" ? span.name : "",
          kind: typeof span.kind === "number" ? span.kind : 0,
          attributes: attributesOf(span.attributes)
        })
      }
    }
  }
  return out
}

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of request) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  const raw = Buffer.concat(chunks)
  return request.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw
}

/**
 * A minimal in-process OTLP/HTTP receiver: POST /v1/traces with a JSON body
 * (what @opentelemetry/exporter-trace-otlp-http sends) is answered 200 `{}` and its
 * spans are kept; protobuf bodies are refused with 415 and recorded as rejected.
 */
export const startOtlpReceiver = async (): Promise<OtlpReceiver> => {
  const spans: Array<ReceivedSpan> = []
  const rejected: Array<string> = []
  const server: Server = createServer((request, response) => {
    if (request.method !== "POST" || request.url?.split("?")[0] !== "/v1/traces") {
      response.writeHead(404).end()
      return
    }
    readBody(request).then(
      (body) => {
        const type = request.headers["content-type"] ?? ""
        if (!type.includes("json")) {
          rejected.push(`content-type ${type}`)
          response.writeHead(415).end()
          return
        }
        try {
          spans.push(...flatten(JSON.parse(body.toString("utf8"))))
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        } catch (error) {
          rejected.push(String(error))
          response.writeHead(400).end()
        }
      },
      (error: unknown) => {
        rejected.push(String(error))
        response.writeHead(400).end()
      }
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => spans,
    rejected: () => rejected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
