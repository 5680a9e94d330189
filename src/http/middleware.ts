import {
  HttpApiBuilder,
  type HttpApp,
  HttpIncomingMessage,
  HttpMiddleware,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { Config, Effect, Metric, Option } from "effect"
import { RateLimiter } from "../ports/RateLimiter.js"
import { Settings } from "../settings.js"
import { ApiError } from "./api/errors.js"
import { clientIp } from "./clientIp.js"
import { orApiError, rateLimitHeaders } from "./errors.js"
import { httpDuration, httpRequests } from "./metrics.js"
import { MAX_BODY_BYTES, tooLarge } from "./request.js"
import { renderErrors, withResponseHeaders } from "./respond.js"
import { routeOf } from "./routes.js"
import { SECURITY_HEADERS } from "./securityHeaders.js"

const pathOf = (url: string) => url.split("?")[0] ?? url

/** Health and metrics are never rate limited (API.md); everything else under /api is, per client IP. */
export const isRateLimited = (path: string) => (path === "/api" || path.startsWith("/api/")) && !isHealth(path)
export const isHealth = (path: string) => path === "/api/health" || path.startsWith("/api/health/")
/** Requests that produce no span: probes and scrapes would drown the traces. */
export const isUntraced = (request: HttpServerRequest.HttpServerRequest) => {
  const path = pathOf(request.url)
  return isHealth(path) || path === "/metrics"
}

const perIpLimit = Effect.gen(function* () {
  const limiter = yield* RateLimiter
  const { limit, windowMs, hops } = yield* Config.all({
    limit: Settings.rateLimitMaxRequests,
    windowMs: Settings.rateLimitWindowMs,
    hops: Settings.trustProxyHops
  })
  return <E, R>(app: HttpApp.Default<E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (!isRateLimited(pathOf(request.url))) return yield* app
      const ip = clientIp(Option.getOrUndefined(request.remoteAddress), request.headers["x-forwarded-for"], hops)
      const decision = yield* orApiError(limiter.hit(`rl:${ip}`, limit, windowMs))
      yield* withResponseHeaders(rateLimitHeaders(decision))
      if (!decision.allowed) {
        const headers = rateLimitHeaders(decision)
        return yield* new ApiError({
          status: 429,
          code: "RATE_LIMIT_EXCEEDED",
          message: "Too many requests, please try again later",
          headers: { ...headers, "retry-after": headers["ratelimit-reset"] }
        })
      }
      return yield* app
    })
})

/** Refuses a declared oversize body at once; a chunked one fails while it is read (MaxBodySize). */
const bodyLimit = <E, R>(app: HttpApp.Default<E, R>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const declared = Number(request.headers["content-length"] ?? "0")
    if (declared > MAX_BODY_BYTES) return yield* tooLarge
    return yield* app
  }).pipe(HttpIncomingMessage.withMaxBodySize(Option.some(MAX_BODY_BYTES)))

const measured = <R>(app: HttpApp.Default<never, R>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const route = routeOf(request.method, pathOf(request.url))
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
    return HttpServerResponse.setHeaders(response, SECURITY_HEADERS)
  })

const corsOptions = Effect.map(Settings.corsOrigin, (origin) => {
  const origins = origin.trim() === "*" ? [] : origin.split(",").map((o) => o.trim())
  return {
    allowedOrigins: origins,
    allowedHeaders: ["Authorization", "Content-Type", "Idempotency-Key"],
    exposedHeaders: ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "Idempotent-Replayed"],
    maxAge: 600
  }
})

/**
 * The edge of the API, innermost first: body size limit, per-IP rate limit,
 * every failure rendered in the error shape, metrics and security headers, CORS.
 */
export const EdgeMiddleware = HttpApiBuilder.middleware(
  Effect.gen(function* () {
    const limitPerIp = yield* perIpLimit
    const cors = HttpMiddleware.cors(yield* corsOptions)
    return (app: HttpApp.Default) => cors(measured(renderErrors(limitPerIp(bodyLimit(app)))))
  })
)

/** The edge of a health-and-metrics-only server: nothing there is rate limited or called from browsers. */
export const OpsEdgeMiddleware = HttpApiBuilder.middleware((app: HttpApp.Default) => measured(renderErrors(app)))
