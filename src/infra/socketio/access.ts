import { Either, Schema } from "effect"
import { type Actor, type Authorized, actFor, allows, Forbidden, UserId } from "../../domain/index.js"

const USER_ROOM = "user:"
const isUserId = Schema.is(UserId)

export const userRoom = (userId: UserId): string => `${USER_ROOM}${userId}`

export const isUserRoom = (room: string): boolean => room.startsWith(USER_ROOM)

/** A `user:<id>` room is that user's account: joining it is acting for the user (domain policy `actFor`). */
export const joinRoom = (actor: Actor, room: string): Either.Either<Authorized<UserId>, Forbidden> => {
  const userId = room.slice(USER_ROOM.length)
  return isUserRoom(room) && isUserId(userId) ? actFor(actor, userId) : Either.left(new Forbidden())
}

/** `user:<own id>`; an admin may join any `user:<valid id>` room. Nothing else is joinable. */
export const mayJoin = (actor: Actor, room: string): boolean => allows(joinRoom, actor, room)
