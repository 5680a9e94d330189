import { HttpApiError, HttpApp, HttpServerError, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Effect, Option } from "effect"
import { firstPerField, ServiceUnavailable, VelocityLimited } from "../domain/index.js"
import {
  InternalError,
  PayloadTooLarge,
  RateLimitExceeded,
  type Rendered,
  RouteNotFound,
  render,
  UserRateLimitExceeded
} from "./api/errors.js"
import { invalid, isBodyTooLarge } from "./request.js"
import { noteErrorCode } from "./requestInfo.js"

/**
 * Adds headers to whatever response this request ends with, success or error.
 * Later calls win: a handler's or endpoint middleware's (a user's RateLimit-*) over the edge's.
 */
export const withResponseHeaders = (headers: Readonly<Record<string, string>>) =>
  HttpApp.appendPreResponseHandler((_request, response) =>
    Effect.succeed(HttpServerResponse.setHeaders(response, headers))
  )

/** `RateLimit-*` headers (IETF draft), Reset in whole seconds. */
export const rateLimitHeaders = (d: {
  readonly limit: number
  readonly remaining: number
  readonly resetMs: number
}) => ({
  "ratelimit-limit": String(d.limit),
  "ratelimit-remaining": String(d.remaining),
  "ratelimit-reset": String(Math.max(1, Math.ceil(d.resetMs / 1000)))
})

/** A 429 tells when to come back. */
const headersOf = (e: unknown): Readonly<Record<string, string>> | undefined => {
  if (!(e instanceof RateLimitExceeded || e instanceof UserRateLimitExceeded || e instanceof VelocityLimited)) {
    return undefined
  }
  if (e.limit === undefined || e.resetMs === undefined) return undefined
  const reset = rateLimitHeaders({ limit: e.limit, remaining: 0, resetMs: e.resetMs })
  return { ...reset, "retry-after": reset["ratelimit-reset"] }
}

const pathOf = (request: HttpServerRequest.HttpServerRequest) => request.url.split("?")[0] ?? request.url

/** The framework's failures as the contract's errors; the contract's own as themselves. */
const asContractError = (u: unknown): unknown => {
  if (u instanceof HttpApiError.HttpApiDecodeError) {
    return invalid(
      "Invalid request",
      firstPerField(
        u.issues.map((i) => ({ field: i.path.length === 0 ? "request" : i.path.join("."), message: i.message }))
      )
    )
  }
  if (HttpServerError.isServerError(u)) {
    switch (u._tag) {
      case "RouteNotFound":
        return new RouteNotFound({ path: pathOf(u.request) })
      case "RequestError":
        return u.reason === "Decode" && isBodyTooLarge(u) ? new PayloadTooLarge() : invalid("Malformed request body")
    }
  }
  return u
}

const respond = (e: unknown, { status, code, body }: Rendered) => {
  const headers = headersOf(e)
  return Effect.all([
    noteErrorCode(code),
    headers === undefined ? Effect.void : withResponseHeaders(headers),
    e instanceof ServiceUnavailable
      ? Effect.logWarning("dependency unavailable", { dependency: e.dependency })
      : Effect.void
  ]).pipe(Effect.as(HttpServerResponse.unsafeJson(body, { status })))
}

/**
 * Every failure that reaches the edge becomes a response in the docs/api.md error
 * shape, rendered by the contract's own error schemas: typed errors, the
 * framework's decode errors and unknown routes as themselves; anything else (a
 * defect) is logged and answered 500 with no detail. A client that went away is left alone.
 */
export const renderErrors = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  Effect.catchAllCause(app, (cause) => {
    if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    const failure = Cause.failureOption(cause).pipe(
      Option.orElse(() => Cause.dieOption(cause)),
      Option.map(asContractError)
    )
    const answer = Option.flatMap(failure, (e) => Option.map(render(e), (rendered) => respond(e, rendered)))
    return Option.getOrElse(answer, () => {
      const internal = new InternalError()
      return Effect.zipRight(
        Effect.logError("unhandled error in request", cause),
        respond(internal, Option.getOrThrow(render(internal)))
      )
    })
  })
