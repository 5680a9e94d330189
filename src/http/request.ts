import { type HttpServerError, HttpServerRequest } from "@effect/platform"
import { Effect, Either, Schema } from "effect"
import { type FieldIssue, issuesOf, ValidationError } from "../domain/index.js"
import { MAX_BODY_BYTES, PayloadTooLarge } from "./api/errors.js"

export { MAX_BODY_BYTES }

export const invalid = (message: string, details: ReadonlyArray<FieldIssue> = []) =>
  new ValidationError({ message, details })

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
    return yield* invalid("Content-Type must be application/json", [
      { field: "content-type", message: "expected application/json" }
    ])
  }
  const text = yield* request.text.pipe(
    Effect.mapError((e) => (isBodyTooLarge(e) ? new PayloadTooLarge() : invalid("Could not read the request body")))
  )
  return yield* Schema.decode(Json)(text).pipe(
    Effect.mapError(() => invalid("Malformed JSON body", [{ field: "body", message: "body is not valid JSON" }]))
  )
})

/** Reads and validates a JSON body against `schema`: 400 VALIDATION_ERROR with one detail per field. */
export const readBody = <A, I>(schema: Schema.Schema<A, I>, what: string) =>
  Effect.flatMap(readJsonBody, (body) =>
    Schema.decodeUnknown(schema, { errors: "all" })(body).pipe(
      Effect.mapError((e) => invalid(`Invalid ${what}`, issuesOf(e)))
    )
  )

const PRINTABLE_ASCII = /^[\x20-\x7E]{1,255}$/

/** `Idempotency-Key`: absent, or 1..255 printable ASCII characters. */
export const idempotencyKey = (raw: string | undefined): Either.Either<string | null, ValidationError> =>
  raw === undefined
    ? Either.right(null)
    : PRINTABLE_ASCII.test(raw)
      ? Either.right(raw)
      : Either.left(
          invalid("Invalid Idempotency-Key", [
            { field: "idempotency-key", message: "must be 1 to 255 printable ASCII characters" }
          ])
        )
