import { HttpApiMiddleware, HttpApiSecurity } from "@effect/platform"
import { Context, Schema } from "effect"
import type { Actor, Authorized } from "../../domain/index.js"
import { ApiErrors } from "./errors.js"

/** Who is calling: the verified `sub` and `role` of the bearer token. */
export class CurrentActor extends Context.Tag("swiftpay/CurrentActor")<CurrentActor, Actor>() {}

/** The admin policy's proof for the caller: what admin-only programs take. */
export class CurrentAdmin extends Context.Tag("swiftpay/CurrentAdmin")<CurrentAdmin, Authorized<"admin">>() {}

/** Bearer JWT (HS256, `exp` required); 401 UNAUTHORIZED otherwise. */
export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("swiftpay/Authentication", {
  failure: ApiErrors.Unauthorized,
  provides: CurrentActor,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** As Authentication, and the token's role must be `admin` (403 FORBIDDEN), checked before the request is read. */
export class AdminAuthentication extends HttpApiMiddleware.Tag<AdminAuthentication>()("swiftpay/AdminAuthentication", {
  failure: Schema.Union(ApiErrors.Unauthorized, ApiErrors.Forbidden),
  provides: CurrentAdmin,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/**
 * USER_RATE_LIMIT_MAX_REQUESTS payouts per window for the token's user, valid or
 * not: runs inside Authentication and before the request is read (docs/api.md's order).
 */
export class PayoutRateLimit extends HttpApiMiddleware.Tag<PayoutRateLimit>()("swiftpay/PayoutRateLimit", {
  failure: Schema.Union(ApiErrors.UserRateLimitExceeded, ApiErrors.ServiceUnavailable)
}) {}
