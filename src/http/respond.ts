import { HttpApiError, HttpApp, HttpServerError, type HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Cause, Effect, Option } from "effect"
import { firstPerField } from "../domain/index.js"
import { ApiError, bodyOf, validationError } from "./api/errors.js"
import { isBodyTooLarge, tooLarge } from "./request.js"
import { noteErrorCode } from "./requestInfo.js"

/**
 * Adds headers to whatever response this request ends with, success or error.
 * Handlers run after the edge, so their headers (a user's RateLimit-*) win.
 */
export const withResponseHeaders = (headers: Readonly<Record<string, string>>) =>
  HttpApp.appendPreResponseHandler((_request, response) =>
    Effect.succeed(HttpServerResponse.setHeaders(response, headers))
  )

const json = (e: ApiError) =>
  Effect.as(
    Effect.zipRight(noteErrorCode(e.code), e.headers === undefined ? Effect.void : withResponseHeaders(e.headers)),
    HttpServerResponse.unsafeJson(bodyOf(e), { status: e.status })
  )

const internal = new ApiError({ status: 500, code: "INTERNAL_ERROR", message: "Internal server error" })

const pathOf = (request: HttpServerRequest.HttpServerRequest) => request.url.split("?")[0] ?? request.url

/** What each known failure means to a client; anything else is an internal error. */
const known = (u: unknown): Option.Option<ApiError> => {
  if (u instanceof ApiError) return Option.some(u)
  if (u instanceof HttpApiError.HttpApiDecodeError) {
    return Option.some(
      validationError(
        "Invalid request",
        firstPerField(
          u.issues.map((i) => ({ field: i.path.length === 0 ? "request" : i.path.join("."), message: i.message }))
        )
      )
    )
  }
  if (HttpServerError.isServerError(u)) {
    switch (u._tag) {
      case "RouteNotFound":
        return Option.some(
          new ApiError({ status: 404, code: "NOT_FOUND", message: "Route not found", path: pathOf(u.request) })
        )
      case "RequestError":
        return Option.some(
          u.reason === "Decode" && isBodyTooLarge(u) ? tooLarge : validationError("Malformed request body")
        )
    }
  }
  return Option.none()
}

/**
 * Every failure that reaches the edge becomes a response in the docs/api.md error
 * shape: typed errors, the framework's decode errors and unknown routes as
 * themselves; anything else (a defect) is logged and answered 500 with no detail.
 * A client that went away is left alone.
 */
export const renderErrors = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  Effect.catchAllCause(app, (cause) => {
    if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
    const failure = Cause.failureOption(cause).pipe(Option.orElse(() => Cause.dieOption(cause)))
    const answer = Option.flatMap(failure, known)
    return Option.match(answer, {
      onSome: json,
      onNone: () => Effect.zipRight(Effect.logError("unhandled error in request", cause), json(internal))
    })
  })
