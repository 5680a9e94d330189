import { Context, Data, type Effect } from "effect"
import type { UserId } from "../domain/index.js"

export class InvalidToken extends Data.TaggedError("InvalidToken")<{ readonly reason: string }> {}

/** An identity proven by a token, and until when (epoch ms) the token proves it. */
export interface Verified {
  readonly userId: UserId
  readonly role: "user" | "admin"
  readonly expiresAt: number
}

/**
 * Bearer tokens, which the API's contract makes HS256 JWTs (hence the name).
 * HTTP and Socket.IO both authenticate through this port.
 */
export interface JwtShape {
  /** HS256 only (alg none and other algorithms are refused); `exp` is required, at most the max TTL away. */
  readonly verify: (token: string) => Effect.Effect<Verified, InvalidToken>
  readonly sign: (actor: Pick<Verified, "userId" | "role">, ttlSeconds: number) => Effect.Effect<string>
}

export class Jwt extends Context.Tag("swiftpay/Jwt")<Jwt, JwtShape>() {}
