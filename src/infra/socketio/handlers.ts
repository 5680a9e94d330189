import { Effect, Either, Schema } from "effect"
import { type Authorized, actFor, type UserId } from "../../domain/index.js"
import type { JwtShape, Verified } from "../../ports/Jwt.js"
import { isUserRoom, mayJoin, userRoom } from "./access.js"
import type { IoSocket } from "./attach.js"
import { AuthenticateFrame, describeParseError, failure, HandshakeAuth, SubscribeFrame } from "./frames.js"
import { cutOff } from "./inbox.js"
import type { SocketLimits } from "./limits.js"

/** Failures here are client-facing messages: they become `connect_error` or an `*_error` frame. */
type Refusal = string

const decode =
  <A, I>(schema: Schema.Schema<A, I>, what: string) =>
  (frame: unknown): Effect.Effect<A, Refusal> =>
    Schema.decodeUnknown(schema)(frame).pipe(Effect.mapError((e) => `invalid ${what}: ${describeParseError(e)}`))

/** Puts the socket in the room of the account it was authorized for, out of any room a previous identity had. */
const enter = (socket: IoSocket, actor: Verified, account: Authorized<UserId>): Effect.Effect<void> =>
  Effect.promise(async () => {
    for (const room of [...socket.rooms].filter(isUserRoom)) await socket.leave(room)
    socket.data.actor = actor
    socket.data.expiresAt = actor.expiresAt
    await socket.join(userRoom(account.target))
  })

export const makeHandlers = (jwt: JwtShape, limits: Pick<SocketLimits, "maxAuthFailures">) => {
  const verify = (token: string) => Effect.mapError(jwt.verify(token), (e): Refusal => e.reason)

  /** Handshake `auth`: no token is an anonymous socket; a token that does not verify is refused. */
  const handshake = Effect.fn("WsHub.handshake")(function* (socket: IoSocket) {
    const { token } = yield* decode(HandshakeAuth, "handshake auth")(socket.handshake.auth)
    if (token === undefined) return
    const actor = yield* verify(token)
    const account = yield* Effect.mapError(actFor(actor, actor.userId), (e): Refusal => e.message)
    yield* enter(socket, actor, account)
  })

  const authenticate = Effect.fn("WsHub.authenticate")(function* (socket: IoSocket, frame: unknown) {
    const outcome = yield* Effect.either(
      Effect.gen(function* () {
        const { userId, token } = yield* decode(AuthenticateFrame, "authenticate frame")(frame)
        const actor = yield* verify(token)
        const account = yield* Effect.mapError(actFor(actor, userId), () => "token does not belong to this userId")
        yield* enter(socket, actor, account)
        return userId
      })
    )
    if (Either.isLeft(outcome)) {
      socket.emit("authentication_error", failure(outcome.left))
      socket.data.authFailures = (socket.data.authFailures ?? 0) + 1
      if (socket.data.authFailures >= limits.maxAuthFailures) cutOff(socket, "too many failed authentications")
    } else socket.emit("authenticated", { success: true, userId: outcome.right, socketId: socket.id })
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

  return { handshake, authenticate, subscribe }
}
