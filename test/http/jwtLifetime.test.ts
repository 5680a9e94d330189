import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted, TestClock } from "effect"
import { SignJWT } from "jose"
import { UserId } from "../../src/domain/index.js"
import { make } from "../../src/infra/jose/jwt.js"
import { Jwt } from "../../src/ports/Jwt.js"
import * as JwtLayer from "../../src/runtime/jwt.js"

const SECRET = "a-real-secret-of-forty-characters-0000000"
const alice = { userId: UserId.make("user_001"), role: "user" as const }

const reasonOf = (jwt: Jwt["Type"], token: string) =>
  jwt.verify(token).pipe(Effect.match({ onFailure: (e) => e.reason, onSuccess: () => "verified" }))

describe("Jwt maximum lifetime", () => {
  it.effect("refuses a token whose exp lies further out than now + the maximum, on the Effect clock", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.now())
      const jwt = make({ secret: Redacted.make(SECRET), maxTtlSeconds: 600 })
      expect(yield* reasonOf(jwt, yield* jwt.sign(alice, 590))).toBe("verified")
      const hourLong = yield* jwt.sign(alice, 3600)
      expect(yield* reasonOf(jwt, hourLong)).toBe("token expires too far in the future")
      const forever = yield* Effect.promise(() =>
        new SignJWT({ sub: "user_001", exp: 1e308 })
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode(SECRET))
      )
      expect(yield* reasonOf(jwt, forever)).toBe("token expires too far in the future")
      // Later on the clock, the same hour-long token lies within the maximum.
      yield* TestClock.adjust("3001 seconds")
      expect(yield* reasonOf(jwt, hourLong)).toBe("verified")
    })
  )

  it.effect("layerConfig reads JWT_MAX_TTL_SECONDS", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.now())
      const jwt = yield* Jwt
      expect(yield* reasonOf(jwt, yield* jwt.sign(alice, 120))).toBe("token expires too far in the future")
    }).pipe(
      Effect.provide(
        JwtLayer.layer({ allowDevelopmentSecret: false }).pipe(
          Layer.provide(
            Layer.setConfigProvider(ConfigProvider.fromJson({ JWT_SECRET: SECRET, JWT_MAX_TTL_SECONDS: "60" }))
          )
        )
      )
    )
  )
})

describe("Jwt verified-token memory", () => {
  it.effect("a token verified once is still refused after it expires, and only that exact token is remembered", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.now())
      const jwt = make({ secret: Redacted.make(SECRET), maxTtlSeconds: 600 })
      const token = yield* jwt.sign(alice, 60)
      expect(yield* reasonOf(jwt, token)).toBe("verified")
      expect(yield* reasonOf(jwt, token)).toBe("verified")
      const [head, body, signature = ""] = token.split(".")
      const flipped = `${head}.${body}.${signature.slice(0, -2)}${signature.endsWith("AA") ? "BB" : "AA"}`
      expect(yield* reasonOf(jwt, flipped)).toBe("invalid token")
      yield* TestClock.adjust("61 seconds")
      expect(yield* reasonOf(jwt, token)).toBe("token expired")
    })
  )
})
