import type * as Http from "node:http"
import type { Duplex } from "node:stream"
import { Effect, type Scope } from "effect"
import { Server, type ServerOptions } from "socket.io"
import type { ClientEvents, ServerEvents, SocketData } from "./frames.js"

export type IoServer = Server<ClientEvents, ServerEvents, Record<string, never>, SocketData>

export const SOCKET_IO_PATH = "/socket.io"

// engine.io's own test: the path with a trailing slash, as a prefix of the raw url.
const isSocketIo = (url: string | undefined): boolean => url?.startsWith(`${SOCKET_IO_PATH}/`) ?? false

const EVENTS = ["request", "upgrade", "close", "listening"] as const
type Listeners = Record<(typeof EVENTS)[number], ReadonlyArray<Function>>

const snapshot = (server: Http.Server): Listeners => ({
  request: server.listeners("request"),
  upgrade: server.listeners("upgrade"),
  close: server.listeners("close"),
  listening: server.listeners("listening")
})

/**
 * Socket.IO on a server that Effect already serves (docs/architecture.md, "Socket.IO on the Effect HTTP server"). engine.io
 * wraps the `request` listeners present at attach time (so the HTTP app must be
 * served first) but not the `upgrade` ones: Effect's upgrade listeners are taken
 * off and called only for upgrades engine.io does not own. On release the server's
 * listeners are put back as they were, so the HTTP layer's own finalizers and
 * `server.close()` (the HTTP layer's job, not ours) find what they expect.
 */
export const attach = (
  server: Http.Server,
  options: Partial<ServerOptions>,
  headers: Readonly<Record<string, string>>
): Effect.Effect<IoServer, never, Scope.Scope> =>
  Effect.suspend(() =>
    server.listening && server.listenerCount("request") > 0
      ? acquire(server, options, headers)
      : Effect.dieMessage("WsHub: serve the HTTP app on the NodeServer before attaching Socket.IO (see WsHub.ts)")
  )

const acquire = (server: Http.Server, options: Partial<ServerOptions>, headers: Readonly<Record<string, string>>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const before = snapshot(server)
      server.removeAllListeners("upgrade")
      const io: IoServer = new Server(server, {
        ...options,
        path: SOCKET_IO_PATH,
        serveClient: false,
        destroyUpgrade: false
      })
      // engine.io's own responses (handshake, polling, its errors, CORS preflight) carry the API's headers;
      // set before engine.io writes them, so its writeHead merges them in. The 101 of an upgrade is below.
      server.prependListener("request", (request: Http.IncomingMessage, response: Http.ServerResponse) => {
        if (isSocketIo(request.url)) response.setHeaders(new Map(Object.entries(headers)))
      })
      io.engine.on("headers", (sent: Record<string, string>) => Object.assign(sent, headers))
      server.on("upgrade", (request: Http.IncomingMessage, socket: Duplex, head: Buffer) => {
        if (isSocketIo(request.url)) return
        if (before.upgrade.length === 0) socket.destroy() // what node does when nothing listens
        for (const listener of before.upgrade) listener.call(server, request, socket, head)
      })
      return { io, before, after: snapshot(server) }
    }),
    ({ io, before, after }) =>
      disconnectAll(io).pipe(
        Effect.zipRight(Effect.promise(async () => io.of("/").adapter.close())),
        Effect.zipRight(Effect.sync(() => io.engine.close())),
        Effect.ensuring(Effect.sync(() => restore(server, before, after)))
      )
  ).pipe(Effect.map(({ io }) => io))

/**
 * Tells every client it was disconnected by the server (so it does not reconnect),
 * waiting a bounded time for those frames to flush: a polling client only gets
 * its disconnect frame in its pending GET, which closing the engine would drop.
 */
const disconnectAll = (io: IoServer): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const connections = [...io.of("/").sockets.values()].map((socket) => socket.conn)
    let open = connections.length
    if (open === 0) return resume(Effect.void)
    for (const connection of connections) {
      connection.once("close", () => {
        open -= 1
        if (open === 0) resume(Effect.void)
      })
    }
    io.disconnectSockets(true)
    // Released in a finalizer, which is uninterruptible: the wait must be interruptible for the timeout to cut it.
  }).pipe(Effect.interruptible, Effect.timeout("2 seconds"), Effect.ignore)

const restore = (server: Http.Server, before: Listeners, after: Listeners): void => {
  for (const event of EVENTS) {
    for (const added of after[event].filter((l) => !before[event].includes(l))) {
      server.off(event, added as (...args: Array<unknown>) => void)
    }
    for (const removed of before[event].filter((l) => !after[event].includes(l))) {
      server.on(event, removed as (...args: Array<unknown>) => void)
    }
  }
}

export type IoSocket = Parameters<Parameters<IoServer["on"]>[1]>[0]
