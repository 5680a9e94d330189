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

/** Tokens remembered as verified, at most (the oldest is forgotten first). */
export const VERIFIED_CACHE_SIZE = 10_000

/**
 * HS256 JWTs with `jose`. A token that verified is remembered until it expires
 * (keyed by the whole token, signature included, so only that exact token
 * hits): a client's every request otherwise pays ~100 µs of WebCrypto.
 */
export const make = (options: JwtOptions): JwtShape => {
  const key = new TextEncoder().encode(Redacted.value(options.secret))
  const maxTtlMs = options.maxTtlSeconds * 1000
  const verified = new Map<string, Verified>()
  const remember = (token: string, v: Verified) => {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string)
    verified.set(token, v)
  }
  const withinMaxTtl = (token: string, v: Verified) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => {
      if (v.expiresAt > now + maxTtlMs) return Effect.fail(tooLongLived)
      remember(token, v)
      return Effect.succeed(v)
    })
  const cached = (token: string, now: number): Verified | undefined => {
    const hit = verified.get(token)
    if (hit === undefined || hit.expiresAt > now) return hit
    verified.delete(token)
    return undefined
  }
  const check = (token: string, now: number) =>
    Effect.tryPromise({
      try: () =>
        jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp", "sub"], currentDate: new Date(now) }),
      catch: (e) => new InvalidToken({ reason: e instanceof errors.JWTExpired ? "token expired" : "invalid token" })
    }).pipe(
      Effect.flatMap(({ payload }) =>
        Effect.mapError(
          Schema.decodeUnknown(Claims)(payload),
          () => new InvalidToken({ reason: "invalid token claims" })
        )
      ),
      Effect.map(({ sub, role, exp }): Verified => ({ userId: sub, role, expiresAt: exp * 1000 })),
      Effect.flatMap((v) => withinMaxTtl(token, v))
    )
  return {
    verify: (token) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const hit = cached(token, now)
        return hit === undefined ? check(token, now) : Effect.succeed(hit)
      }),
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
