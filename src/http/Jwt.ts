import { Clock, ConfigError, Context, Data, Effect, Layer, Option, Redacted, Schema } from "effect"
import { errors, jwtVerify, SignJWT } from "jose"
import { type Actor, UserId } from "../domain/index.js"
import { DEFAULT_JWT_MAX_TTL_SECONDS, DEVELOPMENT_SECRET, Settings } from "../settings.js"

export { DEVELOPMENT_SECRET } from "../settings.js"

export class InvalidToken extends Data.TaggedError("InvalidToken")<{ readonly reason: string }> {}

const Claims = Schema.Struct({
  sub: UserId,
  exp: Schema.Number,
  role: Schema.optionalWith(Schema.Literal("user", "admin"), { default: () => "user" as const })
})

/** An identity proven by a token, and until when (epoch ms) the token proves it. */
export interface Verified extends Actor {
  readonly expiresAt: number
}

export interface JwtOptions {
  /** JWT_MAX_TTL_SECONDS: how far out `exp` may lie. */
  readonly maxTtlSeconds?: number | undefined
}

export interface JwtShape {
  /** HS256 only (alg none and other algorithms are refused); `exp` is required, at most the max TTL away. */
  readonly verify: (token: string) => Effect.Effect<Verified, InvalidToken>
  readonly sign: (actor: Actor, ttlSeconds: number) => Effect.Effect<string>
}

const tooLongLived = new InvalidToken({ reason: "token expires too far in the future" })

export const make = (secret: Redacted.Redacted, options: JwtOptions = {}): JwtShape => {
  const key = new TextEncoder().encode(Redacted.value(secret))
  const maxTtlMs = (options.maxTtlSeconds ?? DEFAULT_JWT_MAX_TTL_SECONDS) * 1000
  const withinMaxTtl = (verified: Verified) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      verified.expiresAt <= now + maxTtlMs ? Effect.succeed(verified) : Effect.fail(tooLongLived)
    )
  return {
    verify: (token) =>
      Effect.tryPromise({
        try: () => jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp", "sub"] }),
        catch: (e) => new InvalidToken({ reason: e instanceof errors.JWTExpired ? "token expired" : "invalid token" })
      }).pipe(
        Effect.flatMap(({ payload }) =>
          Effect.mapError(
            Schema.decodeUnknown(Claims)(payload),
            () => new InvalidToken({ reason: "invalid token claims" })
          )
        ),
        Effect.map(({ sub, role, exp }): Verified => ({ userId: sub, role, expiresAt: exp * 1000 })),
        Effect.flatMap(withinMaxTtl),
        Effect.withSpan("Jwt.verify")
      ),
    sign: (actor, ttlSeconds) =>
      Effect.promise(() =>
        new SignJWT({ role: actor.role })
          .setProtectedHeader({ alg: "HS256", typ: "JWT" })
          .setSubject(actor.userId)
          .setIssuedAt()
          .setExpirationTime(`${ttlSeconds}s`)
          .sign(key)
      )
  }
}

export class Jwt extends Context.Tag("swiftpay/Jwt")<Jwt, JwtShape>() {
  static readonly layer = (secret: Redacted.Redacted, options: JwtOptions = {}) =>
    Layer.succeed(Jwt, make(secret, options))

  /**
   * JWT_SECRET, which whenever it is set must be at least 32 characters and not
   * the published development secret (Settings checks both). Embedded mode may
   * fall back to the development secret, with a warning (and runtime/config.ts
   * allows that on a loopback HOST only); the gateway refuses to start without a secret of its own.
   */
  static readonly layerConfig = (options: { readonly allowDevelopmentSecret: boolean }) =>
    Layer.effect(
      Jwt,
      Effect.gen(function* () {
        const configured = yield* Settings.jwtSecret
        const lifetime = { maxTtlSeconds: yield* Settings.jwtMaxTtlSeconds }
        if (Option.isSome(configured)) return make(configured.value, lifetime)
        if (!options.allowDevelopmentSecret) {
          return yield* Effect.fail(
            ConfigError.MissingData(["JWT_SECRET"], "must be set (HS256 key for bearer tokens, at least 32 characters)")
          )
        }
        yield* Effect.logWarning(
          "JWT_SECRET is not set: using the fixed development secret. Never do this in production."
        )
        return make(Redacted.make(DEVELOPMENT_SECRET), lifetime)
      })
    )
}
