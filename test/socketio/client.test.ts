import type { AddressInfo } from "node:net"
import * as Net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { connect, refusal } from "./client.js"
import { baseUrl, hubTest, tokenFor } from "./harness.js"

/** Accepts TCP connections and never answers: a client of it neither connects nor is refused. */
const sockets = new Set<Net.Socket>()
const silentServer = Effect.acquireRelease(
  Effect.async<Net.Server>((resume) => {
    const server = Net.createServer((socket) => {
      sockets.add(socket)
    })
    server.listen(0, "127.0.0.1", () => {
      resume(Effect.succeed(server))
    })
  }),
  (server) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
      for (const socket of sockets) socket.destroy()
    })
).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

describe("socket test client", () => {
  // Under the TestClock, so only a real-time timeout can end the wait.
  it.scoped("connect fails with its own timeout when the server never answers", () =>
    Effect.gen(function* () {
      const url = yield* silentServer
      const outcome = yield* Effect.scoped(connect(url, { wait: "300 millis" })).pipe(
        Effect.flip,
        Effect.map((error) => (error instanceof Error ? error.message : "connected"))
      )
      expect(outcome).toBe("connect timed out")
      expect(yield* refusal(url, { wait: "300 millis" })).toBe("connect timed out")
    })
  )

  hubTest("refusal of a connection the server accepts fails with a plain message, not the live client", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(refusal(yield* baseUrl, { token: yield* tokenFor("user_001") }))
      expect(Object.keys(error)).toEqual([])
      expect(error.message).toBe("the server accepted a connection it should have refused")
    })
  )
})
