import { HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect, Layer, Redacted } from "effect"
import { make as makeJwt } from "../../src/infra/jose/jwt.js"
import { baseUrl } from "../../src/runtime/banner.js"
import * as Embedded from "../../src/runtime/embedded.js"
import { describeConfigError } from "../../src/runtime/launch.js"
import { DEVELOPMENT_SECRET } from "../../src/settings.js"
import { admin, TEST_CONFIG } from "./harness.js"

const SECRET = "a-real-secret-of-forty-characters-0000000"

/** Starts the embedded runtime on a free port with this environment: the URL it is bound to, or what start-up says. */
const start = (env: Record<string, string>) =>
  HttpServer.addressWith((a) => Effect.succeed(baseUrl(a))).pipe(
    Effect.provide(
      Embedded.layer({ ports: Embedded.MemoryPorts, port: 0 }).pipe(
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ ...TEST_CONFIG, ...env })))
      )
    ),
    Effect.catchAll((e) => Effect.succeed(ConfigError.isConfigError(e) ? describeConfigError(e).join("\n") : String(e)))
  )

describe("embedded runtime: where it listens and which secret it trusts", () => {
  it.live("binds 127.0.0.1 by default, and HOST where told", () =>
    Effect.gen(function* () {
      expect(yield* start({})).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(yield* start({ HOST: "::1" })).toMatch(/^http:\/\/\[::1\]:\d+$/)
      expect(yield* start({ HOST: "0.0.0.0", JWT_SECRET: SECRET })).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/)
    })
  )

  it.live("refuses every interface with the development secret, and a weak JWT_SECRET anywhere", () =>
    Effect.gen(function* () {
      expect(yield* start({ HOST: "0.0.0.0" })).toMatch(/^HOST: 0\.0\.0\.0 is reachable from other machines/)
      expect(yield* start({ JWT_SECRET: "x" })).toMatch(/^JWT_SECRET: must be at least 32 characters/)
      expect(yield* start({ JWT_SECRET: DEVELOPMENT_SECRET })).toMatch(/^JWT_SECRET: is the published/)
    })
  )

  it.live("with JWT_SECRET set, a token signed with the development secret is refused", () =>
    Effect.gen(function* () {
      const forged = yield* makeJwt({ secret: Redacted.make(DEVELOPMENT_SECRET), maxTtlSeconds: 86_400 }).sign(
        admin,
        60
      )
      const status = yield* Effect.gen(function* () {
        const base = yield* HttpServer.addressWith((a) => Effect.succeed(baseUrl(a)))
        const response = yield* Effect.promise(() =>
          fetch(`${base}/api/admin/reconcile`, { headers: { authorization: `Bearer ${forged}` } })
        )
        return response.status
      }).pipe(
        Effect.provide(
          Embedded.layer({ ports: Embedded.MemoryPorts, port: 0 }).pipe(
            Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson({ ...TEST_CONFIG, JWT_SECRET: SECRET })))
          )
        )
      )
      expect(status).toBe(401)
    })
  )
})
