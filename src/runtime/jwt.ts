import { Config, ConfigError, Effect, Either, Layer, Option, Redacted } from "effect"
import * as JoseJwt from "../infra/jose/jwt.js"
import type { Jwt } from "../ports/Jwt.js"
import { DEVELOPMENT_SECRET, Settings } from "../settings.js"

/**
 * Bearer tokens on JWT_SECRET, which whenever it is set must be at least 32
 * characters and not the published development secret (Settings checks both),
 * and JWT_MAX_TTL_SECONDS. Embedded mode may fall back to the development
 * secret, with a warning (runtime/config.ts allows that on a loopback HOST
 * only); the gateway refuses to start without a secret of its own.
 */
export const layer = (options: {
  readonly allowDevelopmentSecret: boolean
}): Layer.Layer<Jwt, ConfigError.ConfigError> =>
  JoseJwt.layerConfig({
    secret: Settings.jwtSecret.pipe(
      Config.mapOrFail((configured) =>
        Option.isSome(configured)
          ? Either.right(configured.value)
          : options.allowDevelopmentSecret
            ? Either.right(Redacted.make(DEVELOPMENT_SECRET))
            : Either.left(
                ConfigError.MissingData(
                  ["JWT_SECRET"],
                  "must be set (HS256 key for bearer tokens, at least 32 characters)"
                )
              )
      )
    ),
    maxTtlSeconds: Settings.jwtMaxTtlSeconds
  }).pipe(
    Layer.tap(() =>
      Effect.flatMap(Settings.jwtSecret, (configured) =>
        Option.isNone(configured)
          ? Effect.logWarning("JWT_SECRET is not set: using the fixed development secret. Never do this in production.")
          : Effect.void
      ).pipe(Effect.orDie)
    )
  )
