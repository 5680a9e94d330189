import { HttpApiBuilder, type HttpApp, HttpIncomingMessage, HttpMiddleware, HttpServerRequest } from "@effect/platform"
import { Effect, Metric, Option } from "effect"
import { Settings } from "../settings.js"
import { accessLog } from "./accessLog.js"
import { PayloadTooLarge } from "./api/errors.js"
import { httpDuration, httpRequests } from "./metrics.js"
import { isProbe, routerPath } from "./paths.js"
import { perIpLimit } from "./rateLimit.js"
import { MAX_BODY_BYTES } from "./request.js"
import { renderErrors } from "./respond.js"
import { routeOf } from "./routes.js"
import { withSecurityHeaders } from "./securityHeaders.js"

/** Requests that produce no span: probes and scrapes would drown the traces. */
export const isUntraced = (request: HttpServerRequest.HttpServerRequest) => isProbe(routerPath(request.url))

/** Refuses a declared oversize body at once; a chunked one fails while it is read (MaxBodySize). */
const bodyLimit = <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const declared = Number(request.headers["content-length"] ?? "0")
    if (declared > MAX_BODY_BYTES) return yield* new PayloadTooLarge()
    return yield* app
  }).pipe(HttpIncomingMessage.withMaxBodySize(Option.some(MAX_BODY_BYTES)))

const measured = <R>(app: HttpApp.Default<never, R>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const route = routeOf(request.method, request.url)
    const [duration, response] = yield* Effect.timed(app)
    yield* Metric.update(
      httpRequests.pipe(
        Metric.tagged("method", request.method),
        Metric.tagged("route", route),
        Metric.tagged("status", String(response.status))
      ),
      1
    )
    yield* Metric.update(httpDuration.pipe(Metric.tagged("route", route)), duration)
    return response
  })

const corsOptions = Effect.map(Settings.corsOrigin, (origin) => {
  const origins = origin.trim() === "*" ? [] : origin.split(",").map((o) => o.trim())
  return {
    allowedOrigins: origins,
    allowedHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"],
    exposedHeaders: [
      "RateLimit-Limit",
      "RateLimit-Remaining",
      "RateLimit-Reset",
      "Retry-After",
      "Idempotent-Replayed",
      "Request-Id",
      "Location"
    ],
    maxAge: 600
  }
})

/**
 * The edge of the API, innermost first: body size limit, per-IP rate limit,
 * every failure rendered in the error shape, metrics, CORS, the access log and
 * Request-Id, security headers.
 */
export const EdgeMiddleware = HttpApiBuilder.middleware(
  Effect.gen(function* () {
    const limitPerIp = yield* perIpLimit
    const cors = HttpMiddleware.cors(yield* corsOptions)
    return (app: HttpApp.Default) =>
      withSecurityHeaders(accessLog(cors(measured(renderErrors(limitPerIp(bodyLimit(app)))))))
  })
)

/** The edge of a health-and-metrics-only server: nothing there is rate limited or called from browsers. */
export const OpsEdgeMiddleware = HttpApiBuilder.middleware((app: HttpApp.Default) =>
  withSecurityHeaders(accessLog(measured(renderErrors(app))))
)
