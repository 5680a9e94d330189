import { HttpServerRequest } from "@effect/platform"
import { Effect, Layer } from "effect"
import { administer } from "../../domain/index.js"
import { Jwt, type JwtShape } from "../../ports/Jwt.js"
import { AdminAuthentication, Authentication } from "../api/auth.js"
import { Unauthorized } from "../api/errors.js"
import { noteActor } from "../requestInfo.js"

const unauthorized = (message: string) => new Unauthorized({ message })

/** `Bearer <token68>`: the scheme in any case and one or more spaces (RFC 7235). */
const BEARER = /^bearer +([A-Za-z0-9._~+/-]+=*)$/i

/**
 * 401 for a missing header, another scheme, a malformed, expired or wrongly
 * signed token. The token is read here: the framework's own cuts a fixed
 * `Bearer ` prefix, so it is ignored.
 */
const authenticate = (jwt: JwtShape) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const header = request.headers.authorization
    if (header === undefined || header === "") return yield* unauthorized("Authentication required")
    const token = BEARER.exec(header)?.[1]
    if (token === undefined) return yield* unauthorized("Authorization must be 'Bearer <token>'")
    return yield* jwt.verify(token).pipe(
      Effect.mapError((e) => unauthorized(e.reason === "token expired" ? "Token expired" : "Invalid or expired token")),
      Effect.tap(noteActor)
    )
  })

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.map(Jwt, (jwt) => Authentication.of({ bearer: () => authenticate(jwt) }))
)

export const AdminAuthenticationLive = Layer.effect(
  AdminAuthentication,
  Effect.map(Jwt, (jwt) =>
    AdminAuthentication.of({
      bearer: () => Effect.flatMap(authenticate(jwt), (actor) => administer(actor, "admin"))
    })
  )
)
