import { Schema } from "effect"
import { UserId } from "../../domain/index.js"
import type { Actor } from "../../programs/PayoutIntake.js"

const USER_ROOM = "user:"
const isUserId = Schema.is(UserId)

export const userRoom = (userId: UserId): string => `${USER_ROOM}${userId}`

export const isUserRoom = (room: string): boolean => room.startsWith(USER_ROOM)

/** `user:<own id>`; an admin may join any `user:<valid id>` room. Nothing else is joinable. */
export const mayJoin = (actor: Actor, room: string): boolean => {
  if (!isUserRoom(room)) return false
  const userId = room.slice(USER_ROOM.length)
  return isUserId(userId) && (actor.role === "admin" || userId === actor.userId)
}
