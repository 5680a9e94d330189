import { Deferred, type Duration, Effect, Exit, Queue, type Scope } from "effect"
import * as TestServices from "effect/TestServices"
import { io, type Socket } from "socket.io-client"

export interface ClientOptions {
  readonly token?: unknown
  /** Resume after this event (handshake auth). */
  readonly lastEventId?: string
  readonly websocketOnly?: boolean
  /** How long to wait for the connection (real time, whatever clock the test runs on). */
  readonly wait?: Duration.DurationInput
}

export interface Frame {
  readonly event: string
  readonly payload: unknown
}

export interface Client {
  readonly socket: Socket
  /** Every frame the server sent since the client connected, in arrival order. */
  readonly frames: Queue.Queue<Frame>
  /** The reason of the socket's disconnection, once it happens. */
  readonly disconnected: Deferred.Deferred<string>
}

const WAIT = "5 seconds"

/**
 * A timeout in real time: under `it.effect` the TestClock would never fire it.
 * It must wrap an interruptible wait (never an acquire step), or it cannot cut it short.
 */
export const within =
  (duration: Duration.DurationInput, what: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | Error, R> =>
    TestServices.provideLive(Effect.timeoutFail(effect, { duration, onTimeout: () => new Error(what) }))

const open = (url: string, options: ClientOptions) =>
  io(url, {
    forceNew: true,
    reconnection: false,
    ...(options.token === undefined
      ? {}
      : {
          auth: {
            token: options.token,
            ...(options.lastEventId === undefined ? {} : { lastEventId: options.lastEventId })
          }
        }),
    ...(options.websocketOnly === true ? { transports: ["websocket"] } : {})
  })

/** Connected, recording, closed with the scope. Fails with the `connect_error`'s message. */
export const connect = (url: string, options: ClientOptions = {}): Effect.Effect<Client, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const frames = yield* Queue.unbounded<Frame>()
    const connected = yield* Deferred.make<void, Error>()
    const disconnected = yield* Deferred.make<string>()
    // Only the socket is the resource: waiting for it to connect stays interruptible.
    const socket = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const socket = open(url, options)
        socket.onAny((event: string, payload: unknown) => Queue.unsafeOffer(frames, { event, payload }))
        socket.once("connect", () => Deferred.unsafeDone(connected, Exit.void))
        socket.once("connect_error", (error) => Deferred.unsafeDone(connected, Exit.fail(new Error(error.message))))
        socket.once("disconnect", (reason) => Deferred.unsafeDone(disconnected, Exit.succeed(reason)))
        return socket
      }),
      (socket) => Effect.sync(() => socket.close())
    )
    yield* Deferred.await(connected).pipe(within(options.wait ?? WAIT, "connect timed out"))
    return { socket, frames, disconnected }
  })

/** The message of the `connect_error` a connection attempt ends with; a plain error if it connects. */
export const refusal = (url: string, options: ClientOptions): Effect.Effect<string, Error> =>
  Effect.scoped(connect(url, options)).pipe(
    Effect.matchEffect({
      onFailure: (error) => Effect.succeed(error.message),
      onSuccess: () => Effect.fail(new Error("the server accepted a connection it should have refused"))
    })
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
  }).pipe(within(WAIT, "no matching frame in time"))

/** Emits a frame and returns the server's next reply frame. */
export const ask = (client: Client, event: string, payload: unknown): Effect.Effect<Frame, Error> =>
  Effect.sync(() => client.socket.emit(event, payload)).pipe(
    Effect.zipRight(Queue.take(client.frames)),
    within(WAIT, `no reply to ${event} in time`)
  )

/** The reason the socket was disconnected, once it is. */
export const disconnection = (client: Client): Effect.Effect<string, Error> =>
  Deferred.await(client.disconnected).pipe(within(WAIT, "never disconnected"))

export const isPayout = (frame: Frame) => frame.event.startsWith("PAYOUT_")

export const payoutOf = (frame: Frame, transactionId: string) =>
  isPayout(frame) &&
  typeof frame.payload === "object" &&
  frame.payload !== null &&
  "transactionId" in frame.payload &&
  frame.payload.transactionId === transactionId
