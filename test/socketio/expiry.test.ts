import { describe, expect } from "@effect/vitest"
import { Chunk, Effect, Queue, TestClock } from "effect"
import { ask, connect, disconnection } from "./client.js"
import { baseUrl, hubTestClock, tokenFor } from "./harness.js"

describe("WsHub token expiry", () => {
  hubTestClock("a socket is told and disconnected when its token expires; a live token stays connected", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const expiring = yield* connect(url, { token: yield* tokenFor("user_001", "user", 60) })
      const lasting = yield* connect(url, { token: yield* tokenFor("user_002", "user", 3600) })
      yield* TestClock.adjust("61 seconds")
      expect(yield* disconnection(expiring)).toBe("io server disconnect")
      const frames = Chunk.toReadonlyArray(yield* Queue.takeAll(expiring.frames))
      expect(frames).toContainEqual({
        event: "authentication_expired",
        payload: { success: false, error: "token expired" }
      })
      expect((yield* ask(lasting, "subscribe", { channels: ["user:user_002"] })).event).toBe("subscribed")
    })
  )
})
