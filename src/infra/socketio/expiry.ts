import { Clock, Effect } from "effect"
import type { IoServer, IoSocket } from "./attach.js"
import { failure } from "./frames.js"

const isExpired = (socket: IoSocket, now: number): boolean =>
  socket.data.expiresAt !== undefined && socket.data.expiresAt <= now

/** A socket whose token has expired loses its identity: it is told, then disconnected. */
const cutOff = (socket: IoSocket): void => {
  socket.emit("authentication_expired", failure("token expired"))
  socket.disconnect(true)
}

/** The sweep: every expired socket of this gateway, whether or not events come its way. */
export const cutOffExpired = (io: IoServer): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.sync(() => {
      for (const socket of io.of("/").sockets.values()) if (isExpired(socket, now)) cutOff(socket)
    })
  )

/** Before a delivery to `room`: its expired sockets are cut off, and their ids returned for the emit to skip. */
export const cutOffExpiredIn = (io: IoServer, room: string, now: number): Array<string> => {
  const namespace = io.of("/")
  const expired: Array<IoSocket> = []
  for (const id of namespace.adapter.rooms.get(room) ?? []) {
    const socket = namespace.sockets.get(id)
    if (socket !== undefined && isExpired(socket, now)) expired.push(socket)
  }
  for (const socket of expired) cutOff(socket) // not while iterating: leaving a room edits its set
  return expired.map((socket) => socket.id)
}
