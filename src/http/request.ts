import { type HttpServerError, HttpServerRequest } from "@effect/platform"
import { Effect, Either, Schema } from "effect"
import { ApiError, validationError } from "./api/errors.js"

/** Request bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 16 * 1024

export const tooLarge = new ApiError({
  status: 413,
  code: "PAYLOAD_TOO_LARGE",
  message: `Request body must be at most ${MAX_BODY_BYTES} bytes`
})

export const isBodyTooLarge = (e: HttpServerError.RequestError): boolean =>
  e.cause instanceof Error && e.cause.message === "maxBytes exceeded"

const Json = Schema.parseJson()

/**
 * The body as untrusted JSON: Content-Type must be application/json, the text
 * at most MAX_BODY_BYTES (the server's MaxBodySize enforces it while reading),
 * and it must parse. What it contains is the program's to validate.
 */
export const readJsonBody = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const type = (request.headers["content-type"] ?? "").toLowerCase()
  if (!/^application\/json\s*(;|$)/.test(type)) {
    return yield* validationError("Content-Type must be application/json", [
      { field: "content-type", message: "expected application/json" }
    ])
  }
  const text = yield* request.text.pipe(
    Effect.mapError((e) => (isBodyTooLarge(e) ? tooLarge : validationError("Could not read the request body")))
  )
  return yield* Schema.decode(Json)(text).pipe(
    Effect.mapError(() =>
      validationError("Malformed JSON body", [{ field: "body", message: "body is not valid JSON" }])
    )
  )
})

const PRINTABLE_ASCII = /^[\x20-\x7E]{1,255}$/

/** `Idempotency-Key`: absent, or 1..255 printable ASCII characters. */
export const idempotencyKey = (raw: string | undefined): Either.Either<string | null, ApiError> =>
  raw === undefined
    ? Either.right(null)
    : PRINTABLE_ASCII.test(raw)
      ? Either.right(raw)
      : Either.left(
          validationError("Invalid Idempotency-Key", [
            { field: "idempotency-key", message: "must be 1 to 255 printable ASCII characters" }
          ])
        )
