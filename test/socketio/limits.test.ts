import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Redacted, TestClock } from "effect"
import { make as makeJwt } from "../../src/infra/jose/jwt.js"
import type { SocketLimits } from "../../src/infra/socketio/limits.js"
import { WsHub } from "../../src/infra/socketio/WsHub.js"
import { Jwt, type JwtShape } from "../../src/ports/Jwt.js"
import * as MemoryEventBus from "../../src/ports/memory/eventBus.js"
import * as MemoryStore from "../../src/ports/memory/payoutStore.js"
import { ask, type Client, connect, disconnection, takeUntil } from "./client.js"
import { baseUrl, hubTest, hubTestClock, NodeServerLive, SECRET, Served } from "./harness.js"

const limits = (overrides: Partial<SocketLimits>): SocketLimits => ({
  maxPendingFrames: 16,
  maxFramesPerSecond: 100,
  maxAuthFailures: 100,
  ...overrides
})

const own = { channels: ["user:user_001"] }

/** The `limit_exceeded` frame, then the server's disconnect. */
const cutOffWith = (client: Client) =>
  Effect.gen(function* () {
    const frames = yield* takeUntil(client, (frame) => frame.event === "limit_exceeded")
    return { last: frames.at(-1), disconnect: yield* disconnection(client) }
  })

describe("WsHub per-socket limits", () => {
  hubTestClock(
    "frames past SOCKET_MAX_FRAMES_PER_SECOND in one second cut the socket off; the next second starts afresh",
    () =>
      Effect.gen(function* () {
        const client = yield* connect(yield* baseUrl)
        for (let i = 0; i < 3; i++) expect((yield* ask(client, "subscribe", own)).event).toBe("subscription_error")
        yield* TestClock.adjust("1 second")
        for (let i = 0; i < 3; i++) expect((yield* ask(client, "subscribe", own)).event).toBe("subscription_error")
        client.socket.emit("no_such_event", {}) // every frame counts, handled or not
        expect(yield* cutOffWith(client)).toEqual({
          last: { event: "limit_exceeded", payload: { success: false, error: "too many frames per second" } },
          disconnect: "io server disconnect"
        })
      }),
    { limits: limits({ maxFramesPerSecond: 3 }) }
  )

  hubTest(
    "the SOCKET_MAX_AUTH_FAILURES-th failed authenticate is answered, then the socket is cut off",
    () =>
      Effect.gen(function* () {
        const client = yield* connect(yield* baseUrl)
        for (let i = 0; i < 2; i++) {
          const reply = yield* ask(client, "authenticate", { userId: "user_001", token: "x" })
          expect(reply).toEqual({ event: "authentication_error", payload: { success: false, error: "invalid token" } })
        }
        client.socket.emit("authenticate", { userId: "user_001", token: "x" })
        const frames = yield* takeUntil(client, (frame) => frame.event === "limit_exceeded")
        expect(frames.map((frame) => frame.payload)).toEqual([
          { success: false, error: "invalid token" },
          { success: false, error: "too many failed authentications" }
        ])
        expect(yield* disconnection(client)).toBe("io server disconnect")
      }),
    { limits: limits({ maxAuthFailures: 3 }) }
  )

  it.live("a frame past SOCKET_MAX_PENDING_FRAMES, queued behind one still being handled, cuts the socket off", () =>
    Effect.gen(function* () {
      const entered = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const real = makeJwt({ secret: Redacted.make(SECRET), maxTtlSeconds: 86_400 })
      // A verify that holds the socket's inbox until released.
      const held: JwtShape = {
        ...real,
        verify: (token) =>
          Deferred.succeed(entered, undefined).pipe(
            Effect.zipRight(Deferred.await(release)),
            Effect.zipRight(real.verify(token))
          )
      }
      const hub = Layer.provide(WsHub.layer({ limits: limits({ maxPendingFrames: 2 }) }), Served).pipe(
        Layer.provideMerge(
          Layer.mergeAll(NodeServerLive, MemoryEventBus.layer, MemoryStore.layer, Layer.succeed(Jwt, held))
        )
      )
      yield* Effect.gen(function* () {
        const client = yield* connect(yield* baseUrl)
        client.socket.emit("authenticate", { userId: "user_001", token: "x" })
        yield* Deferred.await(entered)
        for (let i = 0; i < 3; i++) client.socket.emit("subscribe", own)
        expect(yield* cutOffWith(client)).toEqual({
          last: { event: "limit_exceeded", payload: { success: false, error: "too many pending frames" } },
          disconnect: "io server disconnect"
        })
      }).pipe(Effect.ensuring(Deferred.succeed(release, undefined)), Effect.scoped, Effect.provide(hub))
    })
  )
})
