import { describe, expect } from "@effect/vitest"
import { Chunk, Effect, Queue, TestClock } from "effect"
import { UserId } from "../../src/domain/index.js"
import { ask, connect, disconnection, isPayout, payoutOf, takeUntil } from "./client.js"
import { baseUrl, hubTestClock, initiated, publishAll, tokenFor } from "./harness.js"

const alice = UserId.make("user_001")

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

  hubTestClock(
    "an event for a socket whose token has expired cuts it off instead of reaching it, before any sweep",
    () =>
      Effect.gen(function* () {
        const url = yield* baseUrl
        const expiring = yield* connect(url, { token: yield* tokenFor(alice, "user", 60) })
        const admin = yield* connect(url, { token: yield* tokenFor("ops_admin", "admin", 3600) })
        expect((yield* ask(admin, "subscribe", { channels: [`user:${alice}`] })).event).toBe("subscribed")
        yield* TestClock.adjust("61 seconds") // the sweep is hourly here: only the delivery can notice
        const event = initiated(alice, 1)
        yield* publishAll([event])
        yield* takeUntil(admin, (frame) => payoutOf(frame, event.transactionId))
        expect(yield* disconnection(expiring)).toBe("io server disconnect")
        const frames = Chunk.toReadonlyArray(yield* Queue.takeAll(expiring.frames))
        expect(frames.filter(isPayout)).toEqual([])
        expect(frames.map((frame) => frame.event)).toEqual(["authentication_expired"])
      }),
    { expirySweep: "1 hour" }
  )
})
