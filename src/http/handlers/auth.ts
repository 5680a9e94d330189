import { HttpServerRequest } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
import type { Actor } from "../../programs/PayoutIntake.js"
import { AdminAuthentication, Authentication } from "../api/auth.js"
import { ApiError } from "../api/errors.js"
import { Jwt, type JwtShape } from "../Jwt.js"

const unauthorized = (message: string) => new ApiError({ status: 401, code: "UNAUTHORIZED", message })

const BEARER = /^Bearer [A-Za-z0-9._~+/-]+=*$/

/** 401 for a missing header, another scheme, a malformed, expired or wrongly signed token. */
const authenticate = (jwt: JwtShape, token: Redacted.Redacted<string>) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const header = request.headers.authorization
    if (header === undefined || header === "") return yield* unauthorized("Authentication required")
    if (!BEARER.test(header)) return yield* unauthorized("Authorization must be 'Bearer <token>'")
    return yield* jwt
      .verify(Redacted.value(token))
      .pipe(
        Effect.mapError((e) =>
          unauthorized(e.reason === "token expired" ? "Token expired" : "Invalid or expired token")
        )
      )
  })

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.map(Jwt, (jwt) => Authentication.of({ bearer: (token) => authenticate(jwt, token) }))
)

export const AdminAuthenticationLive = Layer.effect(
  AdminAuthentication,
  Effect.map(Jwt, (jwt) =>
    AdminAuthentication.of({
      bearer: (token) =>
        Effect.filterOrFail(
          authenticate(jwt, token),
          (actor: Actor) => actor.role === "admin",
          () => new ApiError({ status: 403, code: "FORBIDDEN", message: "Admin role required" })
        )
    })
  )
)
