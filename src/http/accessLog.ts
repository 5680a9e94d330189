import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Duration, Effect, Exit, LogLevel, Option, Ref } from "effect"
import { isProbe, routerPath } from "./paths.js"
import { makeRequestInfo, RequestInfo, requestIdFrom } from "./requestInfo.js"
import { routeOf } from "./routes.js"

/** A request the client gave up on before it was answered (nginx's 499). */
const CLIENT_CLOSED = 499

/**
 * One log line per request: method, route template, status, duration, request
 * id, who (once authenticated) and the error code of a refusal; at Debug for
 * health probes and metric scrapes, at Info for everything else. The request id
 * (the caller's valid `X-Request-Id`, or a new one) goes back as `Request-Id`,
 * onto the HTTP span, and onto every log line written while the request runs.
 */
export const accessLog = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, Exclude<R, RequestInfo>> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const requestId = yield* requestIdFrom(request.headers["x-request-id"])
    const info = yield* makeRequestInfo(requestId)
    yield* Effect.annotateCurrentSpan("http.request_id", requestId)
    const [duration, exit] = yield* app.pipe(
      Effect.provideService(RequestInfo, info),
      Effect.annotateLogs("requestId", requestId),
      Effect.exit,
      Effect.timed
    )
    const actor = yield* Ref.get(info.actor)
    const code = yield* Ref.get(info.errorCode)
    const status = Exit.isSuccess(exit) ? exit.value.status : Cause.isInterruptedOnly(exit.cause) ? CLIENT_CLOSED : 500
    yield* Effect.logWithLevel(isProbe(routerPath(request.url)) ? LogLevel.Debug : LogLevel.Info, "http request").pipe(
      Effect.annotateLogs({
        method: request.method,
        route: routeOf(request.method, request.url),
        status,
        durationMs: Math.round(Duration.toMillis(duration) * 100) / 100,
        requestId,
        ...Option.match(actor, { onNone: () => ({}), onSome: (a) => ({ userId: a.userId, role: a.role }) }),
        ...Option.match(code, { onNone: () => ({}), onSome: (c) => ({ code: c }) })
      })
    )
    return yield* Exit.map(exit, (response) => HttpServerResponse.setHeader(response, "request-id", requestId))
  })
