import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Context, Schema } from "effect"
import type { Actor } from "../../programs/PayoutIntake.js"
import { Forbidden, Unauthorized } from "./errors.js"

/** Who is calling: the verified `sub` and `role` of the bearer token. */
export class CurrentActor extends Context.Tag("swiftpay/CurrentActor")<CurrentActor, Actor>() {}

/** Bearer JWT (HS256, `exp` required); 401 UNAUTHORIZED otherwise. */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("swiftpay/Authentication", {
  failure: Unauthorized,
  provides: CurrentActor,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** As Authentication, and the token's role must be `admin` (403 FORBIDDEN), checked before the request is read. */
export class AdminAuthentication extends HttpApiMiddleware.Tag<AdminAuthentication>()("swiftpay/AdminAuthentication", {
  failure: Schema.Union(Unauthorized, Forbidden),
  provides: CurrentActor,
  security: { bearer: HttpApiSecurity.bearer }
}) {}
