import { type HttpApp, HttpServerRequest } from "@effect/platform"
import { Config, Effect, Option } from "effect"
import { RateLimiter } from "../ports/RateLimiter.js"
import { Settings } from "../settings.js"
import { RateLimitExceeded } from "./api/errors.js"
import { clientIp } from "./clientIp.js"
import { isUnlimited, routerPath } from "./paths.js"
import { rateLimitHeaders, withResponseHeaders } from "./respond.js"

/**
 * RATE_LIMIT_MAX_REQUESTS per client IP and window, on every request but
 * health, metrics and the docs. Those are told apart on the path the router
 * sees, so no spelling of a limited path (`/API`, `//api`, `/%61pi`, absolute
 * form) escapes; unknown paths count too.
 */
export const perIpLimit = Effect.gen(function* () {
  const limiter = yield* RateLimiter
  const { limit, windowMs, hops } = yield* Config.all({
    limit: Settings.rateLimitMaxRequests,
    windowMs: Settings.rateLimitWindowMs,
    hops: Settings.trustProxyHops
  })
  return <E, R>(app: HttpApp.Default<E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      if (isUnlimited(routerPath(request.url))) return yield* app
      const ip = clientIp(Option.getOrUndefined(request.remoteAddress), request.headers["x-forwarded-for"], hops)
      const decision = yield* limiter.hit(`rl:${ip}`, limit, windowMs)
      yield* withResponseHeaders(rateLimitHeaders(decision))
      if (!decision.allowed) return yield* new RateLimitExceeded({ limit: decision.limit, resetMs: decision.resetMs })
      return yield* app
    })
})
