import { Effect, Queue, type Scope } from "effect"
import { io, type Socket } from "socket.io-client"

export interface ClientOptions {
  readonly token?: unknown
  readonly websocketOnly?: boolean
}

export interface Frame {
  readonly event: string
  readonly payload: unknown
}

export interface Client {
  readonly socket: Socket
  /** Every frame the server sent since the client connected, in arrival order. */
  readonly frames: Queue.Queue<Frame>
}

const WAIT = "3 seconds"

const open = (url: string, options: ClientOptions) =>
  io(url, {
    forceNew: true,
    reconnection: false,
    ...(options.token === undefined ? {} : { auth: { token: options.token } }),
    ...(options.websocketOnly === true ? { transports: ["websocket"] } : {})
  })

/** Connected, recording, closed with the scope. Fails with the `connect_error`. */
export const connect = (url: string, options: ClientOptions = {}): Effect.Effect<Client, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const frames = yield* Queue.unbounded<Frame>()
      const socket = yield* Effect.async<Socket, Error>((resume) => {
        const socket = open(url, options)
        socket.onAny((event: string, payload: unknown) => Queue.unsafeOffer(frames, { event, payload }))
        socket.once("connect", () => resume(Effect.succeed(socket)))
        socket.once("connect_error", (error) => {
          socket.close()
          resume(Effect.fail(error))
        })
        return Effect.sync(() => socket.close())
      }).pipe(Effect.timeoutFail({ duration: WAIT, onTimeout: () => new Error("connect timed out") }))
      return { socket, frames }
    }),
    ({ socket }) => Effect.sync(() => socket.close())
  )

/** The message of the `connect_error` a connection attempt ends with. */
export const refusal = (url: string, options: ClientOptions) =>
  Effect.scoped(connect(url, options)).pipe(
    Effect.flip,
    Effect.map((error) => error.message)
  )

/** Frames up to and including the first that matches (times out rather than hang). */
export const takeUntil = (client: Client, done: (frame: Frame) => boolean) =>
  Effect.gen(function* () {
    const taken: Array<Frame> = []
    for (;;) {
      const frame = yield* Queue.take(client.frames)
      taken.push(frame)
      if (done(frame)) return taken
    }
  }).pipe(Effect.timeoutFail({ duration: WAIT, onTimeout: () => new Error("no matching frame in time") }))

/** Emits a frame and returns the server's next reply frame. */
export const ask = (client: Client, event: string, payload: unknown): Effect.Effect<Frame, Error> =>
  Effect.sync(() => client.socket.emit(event, payload)).pipe(
    Effect.zipRight(Queue.take(client.frames)),
    Effect.timeoutFail({ duration: WAIT, onTimeout: () => new Error(`no reply to ${event} in time`) })
  )

export const isPayout = (frame: Frame) => frame.event.startsWith("PAYOUT_")

export const payoutOf = (frame: Frame, transactionId: string) =>
  isPayout(frame) &&
  typeof frame.payload === "object" &&
  frame.payload !== null &&
  "transactionId" in frame.payload &&
  frame.payload.transactionId === transactionId
