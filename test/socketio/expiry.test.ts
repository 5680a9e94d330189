import { describe, expect } from "@effect/vitest"
import { Chunk, Effect, Queue } from "effect"
import { SignJWT } from "jose"
import { connect } from "./client.js"
import { baseUrl, hubTest, SECRET, tokenFor } from "./harness.js"

/** A token that expires at the next whole second but one (JWT `exp` has second precision). */
const shortLivedToken = (userId: string) =>
  Effect.promise(() =>
    new SignJWT({ role: "user" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 2)
      .sign(new TextEncoder().encode(SECRET))
  )

describe("WsHub token expiry", () => {
  hubTest("a socket is told and disconnected when its token expires; a live token stays connected", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const expiring = yield* connect(url, { token: yield* shortLivedToken("user_001") })
      const lasting = yield* connect(url, { token: yield* tokenFor("user_002") })
      const reason = yield* Effect.async<string>((resume) => {
        expiring.socket.once("disconnect", (why) => resume(Effect.succeed(why)))
      }).pipe(Effect.timeoutFail({ duration: "6 seconds", onTimeout: () => new Error("never cut off") }))
      expect(reason).toBe("io server disconnect")
      const frames = Chunk.toReadonlyArray(yield* Queue.takeAll(expiring.frames))
      expect(frames).toContainEqual({
        event: "authentication_expired",
        payload: { success: false, error: "token expired" }
      })
      expect(lasting.socket.connected).toBe(true)
    })
  )
})
