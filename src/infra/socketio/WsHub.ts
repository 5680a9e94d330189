/**
 * WsHub: Socket.IO on the API's own port (path `/socket.io`), fed by the EventBus.
 *
 * Composition the runtime must use (docs/architecture.md, "Socket.IO on the Effect
 * HTTP server"): the HTTP app is served on the NodeServer BEFORE this layer is built, which is what providing the serve
 * layer to it does. A serve layer outputs nothing, so the types cannot say so;
 * building WsHub on a server nothing serves yet dies with a message. With
 * `HttpServerRuntime` = src/runtime/httpServer.ts (as src/runtime/gatewayHttp.ts does):
 *
 *   const Listen = HttpServerRuntime.layer()  // NodeServer + HttpServer: ONE value, so one http.Server
 *   const Gateway = WsHub.layer(options).pipe(
 *     Layer.provide(HttpServerRuntime.drain()), // built after serve; released after WsHub
 *     Layer.provide(HttpApiLive),            // built first: engine.io wraps the request listener it finds
 *     Layer.provideMerge(Listen),
 *     Layer.provide([EventBus, Jwt layers])  // plus what HttpApiLive needs
 *   )
 *
 * Shutdown then runs: WsHub (sockets told and disconnected, engine closed, the
 * server's listeners restored) → drain (in-flight HTTP, no open WebSocket to wait
 * for) → unserve → the HTTP layer closes the server (never this layer).
 */
import { Clock, Config, Context, type Duration, Effect, FiberSet, Layer, Queue, Runtime, Schedule } from "effect"
import type { PayoutEvent } from "../../domain/index.js"
import { EventBus } from "../../ports/EventBus.js"
import { EventLog } from "../../ports/EventLog.js"
import { Jwt } from "../../ports/Jwt.js"
import { NodeServer } from "../node/NodeServer.js"
import { userRoom } from "./access.js"
import { attach, type IoServer } from "./attach.js"
import { cutOffExpired, cutOffExpiredIn } from "./expiry.js"
import { clip, toWire } from "./frames.js"
import { makeHandlers } from "./handlers.js"
import { cutOff, makeFrameRate, makeInbox } from "./inbox.js"
import { DEFAULT_SOCKET_LIMITS, type SocketLimits } from "./limits.js"
import { accept, newStream } from "./resume.js"

export interface WsHubShape {
  /** Sockets connected to this gateway (cheap: a Map's size), for health and metrics. */
  readonly connectedSockets: Effect.Effect<number>
}

export interface WsHubOptions {
  /** CORS_ORIGIN: `*` or a comma-separated list of origins. */
  readonly corsOrigin?: string | undefined
  /** How often sockets whose token expired are cut off between deliveries (each delivery checks too). */
  readonly expirySweep?: Duration.DurationInput | undefined
  /** SOCKET_MAX_*: per-socket inbox, frame rate and failed authentications. */
  readonly limits?: SocketLimits | undefined
  /** Set on every Socket.IO HTTP response (the API's security headers). */
  readonly responseHeaders?: Readonly<Record<string, string>> | undefined
}

const corsOf = (origin: string | undefined) =>
  origin === undefined ? {} : { cors: { origin: origin === "*" ? "*" : origin.split(",").map((o) => o.trim()) } }

/**
 * Every gateway receives every event from the bus, so each emits to its own sockets only;
 * a socket whose token expired since the last sweep is cut off instead of served.
 */
const fanOut = (io: IoServer, event: PayoutEvent): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.try(() => {
      const room = userRoom(event.userId)
      const namespace = io.of("/")
      if (!namespace.adapter.rooms.has(room)) return // nobody here listens: no frame to encode
      const expired = new Set(cutOffExpiredIn(io, room, now))
      const wire = toWire(event)
      // per socket: each drops what it was sent already, and holds back what arrives while it replays
      for (const id of [...(namespace.adapter.rooms.get(room) ?? [])]) {
        const socket = namespace.sockets.get(id)
        if (socket === undefined || expired.has(id)) continue
        const streams = socket.data.streams ?? new Map()
        socket.data.streams = streams
        const stream = streams.get(event.userId) ?? newStream(undefined, false)
        streams.set(event.userId, stream)
        if (stream.buffer !== undefined) stream.buffer.push(event)
        else if (accept(stream, event.sequence)) socket.emit(event.type, wire)
      }
    })
  ).pipe(
    Effect.catchAll((cause) =>
      Effect.logError("WsHub: could not emit a payout event", { eventId: event.eventId, cause })
    )
  )

export const make = (options: WsHubOptions = {}) =>
  Effect.gen(function* () {
    const server = yield* NodeServer
    const bus = yield* EventBus
    const limits = options.limits ?? DEFAULT_SOCKET_LIMITS
    const handlers = makeHandlers(yield* Jwt, yield* EventLog, limits)
    const clock = yield* Effect.clock
    const runSync = Runtime.runSync(yield* Effect.runtime<never>())
    // The captured runtime, backed by a FiberSet: callback fibers end with the layer.
    const runFork = yield* FiberSet.makeRuntime<never, void, never>()
    const run = (effect: Effect.Effect<void>): void => {
      runFork(Effect.catchAllDefect(effect, (defect) => Effect.logError("WsHub: a socket handler died", defect)))
    }
    const io = yield* attach(server, corsOf(options.corsOrigin), options.responseHeaders ?? {})
    /** Each connected socket's inbox: work queued there runs in order with its frames. */
    const receivers = new Map<string, (work: () => Effect.Effect<void>) => void>()

    io.use((socket, next) =>
      run(
        handlers.handshake(socket).pipe(
          Effect.match({ onFailure: (refusal) => new Error(clip(refusal)), onSuccess: () => undefined }),
          Effect.catchAllDefect((defect) =>
            Effect.as(Effect.logError("WsHub: handshake died", defect), new Error("internal error"))
          ),
          Effect.flatMap((refusal) => Effect.sync(() => next(refusal)))
        )
      )
    )
    io.on("connection", (socket) => {
      const withinRate = makeFrameRate(limits, clock)
      socket.use((_frame, next) => (withinRate() ? next() : cutOff(socket, "too many frames per second")))
      const inbox = runSync(makeInbox(limits))
      const receive = (work: () => Effect.Effect<void>) => {
        if (!inbox.offer(work)) cutOff(socket, "too many pending frames")
      }
      receivers.set(socket.id, receive)
      socket.on("authenticate", (frame) => receive(() => handlers.authenticate(socket, frame)))
      socket.on("subscribe", (frame) => receive(() => handlers.subscribe(socket, frame)))
      socket.once("disconnect", () => {
        receivers.delete(socket.id)
        run(inbox.close)
      })
      // a handshake with lastEventId: its replay is the socket's first work
      if ([...(socket.data.streams?.values() ?? [])].some((s) => s.buffer !== undefined)) {
        receive(() => handlers.resume(socket))
      }
      run(inbox.drain)
    })

    // Live once `subscribe` returns; one consumer keeps each transaction's lifecycle order.
    const events = yield* bus.subscribe
    yield* Queue.take(events).pipe(
      Effect.flatMap((event) => fanOut(io, event)),
      Effect.forever,
      Effect.forkScoped
    )
    // the bus lost its subscription for a while: each socket catches up from the log, in its own inbox
    const gaps = yield* bus.resubscribed
    yield* Queue.take(gaps).pipe(
      Effect.flatMap(() =>
        Effect.sync(() => {
          for (const [id, receive] of receivers) {
            const socket = io.of("/").sockets.get(id)
            if (socket !== undefined) receive(() => handlers.catchUp(socket))
          }
        })
      ),
      Effect.forever,
      Effect.forkScoped
    )
    yield* cutOffExpired(io).pipe(Effect.repeat(Schedule.spaced(options.expirySweep ?? "1 second")), Effect.forkScoped)
    yield* Effect.logInfo("WsHub: Socket.IO attached on /socket.io")
    return { connectedSockets: Effect.sync(() => io.of("/").sockets.size) } satisfies WsHubShape
  })

export class WsHub extends Context.Tag("swiftpay/WsHub")<WsHub, WsHubShape>() {
  /** Provide the serve layer to this (see the module comment). */
  static readonly layer = (options: WsHubOptions = {}) => Layer.scoped(WsHub, make(options))

  static readonly layerConfig = (config: Config.Config.Wrap<WsHubOptions>) =>
    Layer.scoped(WsHub, Effect.flatMap(Config.unwrap(config), make))
}
