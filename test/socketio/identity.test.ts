import { describe, expect } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { SignJWT } from "jose"
import { UserId } from "../../src/domain/index.js"
import { make as makeJwt } from "../../src/infra/jose/jwt.js"
import { ask, connect, refusal } from "./client.js"
import { baseUrl, expiredToken, hubTest, SECRET, tokenFor } from "./harness.js"

const expiringAt = (exp: number) =>
  Effect.promise(() =>
    new SignJWT({ sub: "user_001", exp }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(SECRET))
  )
const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds

describe("WsHub identity", () => {
  hubTest("a valid handshake token connects; a bad, expired or foreign-key token is refused with connect_error", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const client = yield* connect(url, { token: yield* tokenFor("user_001") })
      expect(client.socket.connected).toBe(true)
      const foreign = yield* makeJwt({ secret: Redacted.make("another-secret"), maxTtlSeconds: 86_400 }).sign(
        { userId: UserId.make("user_001"), role: "user" },
        60
      )
      expect(yield* refusal(url, { token: foreign })).toBe("invalid token")
      expect(yield* refusal(url, { token: "not-a-jwt" })).toBe("invalid token")
      expect(yield* refusal(url, { token: yield* expiredToken("user_001") })).toBe("token expired")
    })
  )

  hubTest("authenticate succeeds only when the token's sub is the userId (admins: any userId)", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const client = yield* connect(url)
      const alice = yield* tokenFor("user_001")
      expect(yield* ask(client, "authenticate", { userId: "user_002", token: alice })).toEqual({
        event: "authentication_error",
        payload: { success: false, error: "token does not belong to this userId" }
      })
      expect(yield* ask(client, "authenticate", { userId: "user_001", token: "forged" })).toEqual({
        event: "authentication_error",
        payload: { success: false, error: "invalid token" }
      })
      expect(yield* ask(client, "authenticate", { userId: "user_001", token: alice })).toEqual({
        event: "authenticated",
        payload: { success: true, userId: "user_001", socketId: client.socket.id }
      })
      const admin = yield* connect(url)
      const adminToken = yield* tokenFor("ops_admin", "admin")
      const reply = yield* ask(admin, "authenticate", { userId: "user_002", token: adminToken })
      expect(reply.event).toBe("authenticated")
    })
  )

  hubTest("subscribe is granted only for rooms the identity may join", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const anonymous = yield* connect(url)
      expect(yield* ask(anonymous, "subscribe", { channels: ["user:user_001"] })).toEqual({
        event: "subscription_error",
        payload: { success: false, error: "authenticate before subscribing" }
      })
      const bob = yield* connect(url, { token: yield* tokenFor("user_002") })
      expect(yield* ask(bob, "subscribe", { channels: ["user:user_002"] })).toEqual({
        event: "subscribed",
        payload: { success: true, channels: ["user:user_002"] }
      })
      const denied = yield* ask(bob, "subscribe", { channels: ["user:user_002", "user:user_001"] })
      expect(denied).toEqual({
        event: "subscription_error",
        payload: { success: false, error: "not allowed to subscribe to user:user_001" }
      })
      expect((yield* ask(bob, "subscribe", { channels: ["admin"] })).event).toBe("subscription_error")
      const admin = yield* connect(url, { token: yield* tokenFor("ops_admin", "admin") })
      expect((yield* ask(admin, "subscribe", { channels: ["user:user_001", "user:user_003"] })).event).toBe(
        "subscribed"
      )
      expect((yield* ask(admin, "subscribe", { channels: ["payouts:all"] })).event).toBe("subscription_error")
    })
  )

  hubTest("malformed frames get an error frame and the socket keeps working", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const client = yield* connect(url, { token: yield* tokenFor("user_001") })
      for (const frame of [null, "user_001", 42, { userId: "x" }, { userId: "../../etc", token: "t" }]) {
        expect((yield* ask(client, "authenticate", frame)).event).toBe("authentication_error")
      }
      for (const frame of [null, { channels: "user:user_001" }, { channels: [] }, { channels: [7] }]) {
        expect((yield* ask(client, "subscribe", frame)).event).toBe("subscription_error")
      }
      expect(yield* refusal(url, { token: 42 })).toMatch(/^invalid handshake auth/)
      expect((yield* ask(client, "subscribe", { channels: ["user:user_001"] })).event).toBe("subscribed")
    })
  )

  hubTest("a token that expires further out than JWT_MAX_TTL_SECONDS (24 h) is refused, at handshake and later", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const tooFar = "token expires too far in the future"
      expect(yield* refusal(url, { token: yield* expiringAt(inSeconds(86_400 + 3600)) })).toBe(tooFar)
      expect(yield* refusal(url, { token: yield* expiringAt(1e308) })).toBe(tooFar)
      const client = yield* connect(url, { token: yield* expiringAt(inSeconds(86_400 - 60)) })
      expect(yield* ask(client, "authenticate", { userId: "user_001", token: yield* expiringAt(1e308) })).toEqual({
        event: "authentication_error",
        payload: { success: false, error: tooFar }
      })
    })
  )
})
