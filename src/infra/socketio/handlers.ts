import { Effect, Either, Schema } from "effect"
import { type Authorized, actFor, parseEventId, toWire, type UserId } from "../../domain/index.js"
import type { EventLogShape } from "../../ports/EventLog.js"
import type { JwtShape, Verified } from "../../ports/Jwt.js"
import { isUserRoom, mayJoin, userRoom } from "./access.js"
import type { IoSocket } from "./attach.js"
import { AuthenticateFrame, describeParseError, failure, HandshakeAuth, SubscribeFrame } from "./frames.js"
import { cutOff } from "./inbox.js"
import type { SocketLimits } from "./limits.js"
import { accept, newStream, type Stream } from "./resume.js"

/** Failures here are client-facing messages: they become `connect_error` or an `*_error` frame. */
type Refusal = string

const decode =
  <A, I>(schema: Schema.Schema<A, I>, what: string) =>
  (frame: unknown): Effect.Effect<A, Refusal> =>
    Schema.decodeUnknown(schema)(frame).pipe(Effect.mapError((e) => `invalid ${what}: ${describeParseError(e)}`))

/**
 * Puts the socket in the room of the account it was authorized for, out of any
 * room a previous identity had. With `start.replay`, live events for that room are
 * held back (from before the join) until the replay has run.
 */
const enter = (socket: IoSocket, actor: Verified, account: Authorized<UserId>, start: Start): Effect.Effect<void> =>
  Effect.promise(async () => {
    for (const room of [...socket.rooms].filter(isUserRoom)) await socket.leave(room)
    socket.data.actor = actor
    socket.data.expiresAt = actor.expiresAt
    socket.data.streams = new Map([[account.target, newStream(start.after, start.replay)]])
    await socket.join(userRoom(account.target))
  })

/** Where a socket's stream of a user's events starts, and whether the log is replayed from there first. */
interface Start {
  readonly after: number | undefined
  readonly replay: boolean
}

/** `lastEventId` as a sequence of `userId`'s events. */
const resumePoint = (userId: UserId, lastEventId: string): Effect.Effect<number, Refusal> => {
  const parsed = parseEventId(lastEventId)
  return parsed !== undefined && parsed.userId === userId
    ? Effect.succeed(parsed.sequence)
    : Effect.fail("lastEventId is not an eventId of this user's events")
}

const PAGE = 100

export const makeHandlers = (jwt: JwtShape, log: EventLogShape, limits: Pick<SocketLimits, "maxAuthFailures">) => {
  const verify = (token: string) => Effect.mapError(jwt.verify(token), (e): Refusal => e.reason)

  /**
   * With `lastEventId`, the events after it are replayed. Without, the stream starts
   * at the user's newest event, so that a catch-up after a bus outage knows where
   * it is; a log that does not answer leaves it to the first live event.
   */
  const startOf = (userId: UserId, lastEventId: string | undefined): Effect.Effect<Start, Refusal> =>
    lastEventId !== undefined
      ? Effect.map(resumePoint(userId, lastEventId), (after) => ({ after, replay: true }))
      : log.latest(userId).pipe(
          Effect.map((after): Start => ({ after, replay: false })),
          Effect.orElseSucceed((): Start => ({ after: undefined, replay: false }))
        )

  /** Handshake `auth`: no token is an anonymous socket; a token that does not verify is refused. */
  const handshake = Effect.fn("WsHub.handshake")(function* (socket: IoSocket) {
    const { token, lastEventId } = yield* decode(HandshakeAuth, "handshake auth")(socket.handshake.auth)
    if (token === undefined) return
    const actor = yield* verify(token)
    const account = yield* Effect.mapError(actFor(actor, actor.userId), (e): Refusal => e.message)
    yield* enter(socket, actor, account, yield* startOf(account.target, lastEventId))
  })

  /**
   * Replays the user's events after the stream's resume point from the log, in
   * order, then sends what arrived live meanwhile (held back since the join) and
   * goes live; an event already sent is dropped. A log that does not answer ends
   * the replay early: the socket goes live with what it has.
   */
  const replay = (socket: IoSocket, userId: UserId) =>
    Effect.gen(function* () {
      const stream = socket.data.streams?.get(userId)
      if (stream?.buffer === undefined) return
      for (;;) {
        const page = yield* log.read({ userId, after: stream.upTo ?? 0, limit: PAGE })
        for (const { event } of page) if (accept(stream, event.sequence)) socket.emit(event.type, toWire(event))
        if (page.length < PAGE) break
      }
    }).pipe(
      Effect.catchAll((e) => Effect.logWarning("WsHub: replay cut short, the socket goes live", e)),
      Effect.ensuring(
        Effect.sync(() => {
          const stream = socket.data.streams?.get(userId)
          const held = stream?.buffer
          if (stream === undefined || held === undefined) return
          stream.buffer = undefined
          for (const event of [...held].sort((a, b) => a.sequence - b.sequence)) {
            if (accept(stream, event.sequence)) socket.emit(event.type, toWire(event))
          }
        })
      )
    )

  /** The handshake's replay, once the socket is connected. */
  const resume = (socket: IoSocket) => {
    const userId = socket.data.actor?.userId
    return userId === undefined ? Effect.void : replay(socket, userId)
  }

  /**
   * After the bus lost its subscription: every stream that knows where it is
   * replays the log from there (what the outage kept from it), then goes live again.
   */
  const catchUp = (socket: IoSocket) =>
    Effect.forEach(
      [...(socket.data.streams ?? new Map<string, Stream>())].filter(
        ([, stream]) => stream.upTo !== undefined && stream.buffer === undefined
      ),
      ([userId, stream]) => {
        stream.buffer = []
        return replay(socket, userId as UserId)
      },
      { discard: true }
    )

  const authenticate = Effect.fn("WsHub.authenticate")(function* (socket: IoSocket, frame: unknown) {
    const outcome = yield* Effect.either(
      Effect.gen(function* () {
        const { userId, token, lastEventId } = yield* decode(AuthenticateFrame, "authenticate frame")(frame)
        const actor = yield* verify(token)
        const account = yield* Effect.mapError(actFor(actor, userId), () => "token does not belong to this userId")
        yield* enter(socket, actor, account, yield* startOf(account.target, lastEventId))
        return account.target
      })
    )
    if (Either.isLeft(outcome)) {
      socket.emit("authentication_error", failure(outcome.left))
      socket.data.authFailures = (socket.data.authFailures ?? 0) + 1
      if (socket.data.authFailures >= limits.maxAuthFailures) cutOff(socket, "too many failed authentications")
    } else {
      socket.emit("authenticated", { success: true, userId: outcome.right, socketId: socket.id })
      yield* replay(socket, outcome.right)
    }
  })

  const subscribe = Effect.fn("WsHub.subscribe")(function* (socket: IoSocket, frame: unknown) {
    const outcome = yield* Effect.either(
      Effect.gen(function* () {
        const { channels } = yield* decode(SubscribeFrame, "subscribe frame")(frame)
        const actor = socket.data.actor
        if (actor === undefined) return yield* Effect.fail("authenticate before subscribing")
        const denied = channels.filter((channel) => !mayJoin(actor, channel))
        if (denied.length > 0) return yield* Effect.fail(`not allowed to subscribe to ${denied.join(", ")}`)
        yield* Effect.promise(async () => socket.join([...channels]))
        return channels
      })
    )
    if (Either.isLeft(outcome)) socket.emit("subscription_error", failure(outcome.left))
    else socket.emit("subscribed", { success: true, channels: outcome.right })
  })

  return { handshake, authenticate, subscribe, resume, catchUp }
}
