import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { Jwt } from "../../src/ports/Jwt.js"
import * as JwtLayer from "../../src/runtime/jwt.js"
import { describeConfigError } from "../../src/runtime/launch.js"
import { DEVELOPMENT_SECRET } from "../../src/settings.js"

const gatewayJwt = (env: Record<string, string>) =>
  Effect.flatMap(Jwt, () => Effect.succeed("started")).pipe(
    Effect.provide(
      JwtLayer.layer({ allowDevelopmentSecret: false }).pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson(env)))
      )
    ),
    Effect.catchAll((e) => Effect.succeed(describeConfigError(e).join("\n")))
  )

describe("JWT_SECRET on the gateway", () => {
  it.effect("is required, long enough, and never the published development secret", () =>
    Effect.gen(function* () {
      expect(yield* gatewayJwt({})).toMatch(/^JWT_SECRET: /)
      expect(yield* gatewayJwt({ JWT_SECRET: DEVELOPMENT_SECRET })).toMatch(/^JWT_SECRET: is the published/)
      expect(yield* gatewayJwt({ JWT_SECRET: "short" })).toMatch(/^JWT_SECRET: must be at least 32/)
      expect(yield* gatewayJwt({ JWT_SECRET: "a-real-secret-of-forty-characters-0000000" })).toBe("started")
    })
  )
})
