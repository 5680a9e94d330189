import { randomBytes } from "node:crypto"
import * as Http from "node:http"
import * as Net from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Deferred, type Duration, Effect, Exit, Layer, Scope } from "effect"
import { UserId } from "../../src/domain/index.js"
import { NodeServer } from "../../src/infra/node/NodeServer.js"
import { WsHub } from "../../src/infra/socketio/WsHub.js"
import { connect, payoutOf, takeUntil } from "./client.js"
import { baseUrl, hubTest, Infra, initiated, publishAll, Served, tokenFor } from "./harness.js"

const get = (url: string) =>
  Effect.promise(async () => {
    const response = await fetch(url)
    return { status: response.status, body: await response.text() }
  })

/** A raw WebSocket upgrade: the status, and whether Effect's greeting frame arrived. */
const upgrade = (url: string) =>
  Effect.async<{ readonly status: number; readonly greeted: boolean }, Error>((resume) => {
    const key = randomBytes(16).toString("base64")
    const request = Http.request(url, {
      headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key }
    })
    request.on("upgrade", (response, socket, head) => {
      let received = head.toString("latin1")
      const check = () => {
        if (!received.includes("hello from effect")) return
        socket.destroy()
        resume(Effect.succeed({ status: response.statusCode ?? 0, greeted: true }))
      }
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1")
        check()
      })
      check()
    })
    request.on("response", (response) => resume(Effect.succeed({ status: response.statusCode ?? 0, greeted: false })))
    request.on("error", (error) => resume(Effect.fail(error)))
    request.end()
    return Effect.sync(() => request.destroy())
  }).pipe(Effect.timeoutFail({ duration: "3 seconds", onTimeout: () => new Error("upgrade timed out") }))

/** Whether closing the scope ends in time (finalizers are uninterruptible: the wait is detached). */
const releasedWithin = (scope: Scope.CloseableScope, duration: Duration.DurationInput) =>
  Effect.disconnect(Scope.close(scope, Exit.void)).pipe(
    Effect.timeout(duration),
    Effect.match({ onFailure: () => false, onSuccess: () => true })
  )

/** A Socket.IO session over HTTP long-polling that connects, then never polls again. */
const silentPollingSession = (url: string) =>
  Effect.promise(async () => {
    const handshake = await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`)).text()
    const sid = (JSON.parse(handshake.slice(1)) as { sid: string }).sid
    await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "40" })
    return sid
  })

describe("WsHub on the Effect HTTP server", () => {
  hubTest("plain HTTP on the same port still works while sockets are connected", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      yield* connect(url, { token: yield* tokenFor("user_001") })
      yield* connect(url)
      expect(yield* get(`${url}/ping`)).toEqual({ status: 200, body: "pong" })
      expect((yield* get(`${url}/nowhere`)).status).toBe(404)
      const handshake = yield* get(`${url}/socket.io/?EIO=4&transport=polling`)
      expect(handshake.status).toBe(200)
      expect(handshake.body).toMatch(/^0\{"sid":/)
      expect(yield* (yield* WsHub).connectedSockets).toBe(2)
    })
  )

  hubTest("a websocket-only client connects and receives its events", () =>
    Effect.gen(function* () {
      const client = yield* connect(yield* baseUrl, { token: yield* tokenFor("user_001"), websocketOnly: true })
      expect(client.socket.io.engine.transport.name).toBe("websocket")
      const event = initiated(UserId.make("user_001"), 9)
      yield* publishAll([event])
      yield* takeUntil(client, (frame) => payoutOf(frame, event.transactionId))
    })
  )

  hubTest("other upgrades are forwarded to the Effect app", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      yield* connect(url, { websocketOnly: true })
      expect(yield* upgrade(`${url}/effect-ws`)).toEqual({ status: 101, greeted: true })
      expect((yield* upgrade(`${url}/nowhere`)).status).toBe(404)
    })
  )

  it.live("closing the hub disconnects sockets and gives the server back to the Effect app", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const server = yield* NodeServer
      const before = ["request", "upgrade", "close", "listening"].map((event) => server.listeners(event))
      const hubScope = yield* Scope.make()
      yield* Layer.buildWithScope(WsHub.layer(), hubScope)
      const client = yield* connect(url, { token: yield* tokenFor("user_001") })
      const disconnected = yield* Deferred.make<string>()
      client.socket.once("disconnect", (reason) => Deferred.unsafeDone(disconnected, Exit.succeed(reason)))

      yield* Scope.close(hubScope, Exit.void)
      expect(yield* Deferred.await(disconnected).pipe(Effect.timeout("3 seconds"))).toBe("io server disconnect")
      expect(["request", "upgrade", "close", "listening"].map((event) => server.listeners(event))).toEqual(before)
      expect(yield* get(`${url}/ping`)).toEqual({ status: 200, body: "pong" })
      expect((yield* get(`${url}/socket.io/?EIO=4&transport=polling`)).status).toBe(404)
    }).pipe(Effect.scoped, Effect.provide(Layer.provideMerge(Served, Infra)))
  )

  // A polling client's last request can reach the server once the app is unserved, where no
  // listener answers it: without the drain, `server.close()` then waits for it forever.
  it.live("the served app is released even while a client holds a request it never finished", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(Layer.provideMerge(Served, Infra), scope)
      const port = new URL(yield* Effect.provide(baseUrl, context)).port
      const socket = yield* Effect.async<Net.Socket>((resume) => {
        const socket = Net.connect(Number(port), "127.0.0.1", () => {
          socket.write("GET /ping HTTP/1.1\r\nHost: x\r\n")
          resume(Effect.succeed(socket))
        })
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => socket.destroy()))
      expect(yield* releasedWithin(scope, "3 seconds")).toBe(true)
    }).pipe(Effect.scoped)
  )

  it.live("closing the hub ends in time even when a polling client never collects its disconnect", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const hubScope = yield* Scope.make()
      const hub = yield* Effect.map(Layer.buildWithScope(WsHub.layer(), hubScope), Context.get(WsHub))
      yield* silentPollingSession(url)
      expect(yield* hub.connectedSockets).toBe(1)
      expect(yield* releasedWithin(hubScope, "4 seconds")).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(Layer.provideMerge(Served, Infra)))
  )

  it.live("building the hub on a server nothing serves yet dies, naming the composition", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(WsHub.layer().pipe(Layer.provide(Infra)))))
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toMatch(/serve the HTTP app on the NodeServer/)
    })
  )
})
