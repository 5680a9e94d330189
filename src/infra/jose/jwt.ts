import { Clock, Config, type ConfigError, Effect, Layer, Redacted, Schema } from "effect"
import { errors, jwtVerify, SignJWT } from "jose"
import { UserId } from "../../domain/index.js"
import { InvalidToken, Jwt, type JwtShape, type Verified } from "../../ports/Jwt.js"

export interface JwtOptions {
  /** The HS256 key. */
  readonly secret: Redacted.Redacted
  /** How far out `exp` may lie (JWT_MAX_TTL_SECONDS). */
  readonly maxTtlSeconds: number
}

const Claims = Schema.Struct({
  sub: UserId,
  exp: Schema.Number,
  role: Schema.optionalWith(Schema.Literal("user", "admin"), { default: () => "user" as const })
})

const tooLongLived = new InvalidToken({ reason: "token expires too far in the future" })

/** HS256 JWTs with `jose`. */
export const make = (options: JwtOptions): JwtShape => {
  const key = new TextEncoder().encode(Redacted.value(options.secret))
  const maxTtlMs = options.maxTtlSeconds * 1000
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

export const layer = (options: JwtOptions): Layer.Layer<Jwt> => Layer.succeed(Jwt, make(options))

export const layerConfig = (config: Config.Config.Wrap<JwtOptions>): Layer.Layer<Jwt, ConfigError.ConfigError> =>
  Layer.effect(Jwt, Effect.map(Config.unwrap(config), make))
