import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { actFor, parseEventId, toWire, type UserId } from "../../domain/index.js"
import { EventLog } from "../../ports/EventLog.js"
import { CurrentActor } from "../api/auth.js"
import { SwiftPayApi } from "../api/SwiftPayApi.js"
import { invalid } from "../request.js"

/** `after` as a sequence of `userId`'s events: another user's eventId is as invalid as a malformed one. */
const afterOf = (userId: UserId, after: string | undefined) => {
  if (after === undefined || after === "") return Effect.succeed(0)
  const parsed = parseEventId(after)
  return parsed !== undefined && parsed.userId === userId
    ? Effect.succeed(parsed.sequence)
    : invalid("Invalid after", [{ field: "after", message: "after must be an eventId of this user's events" }])
}

export const EventsLive = HttpApiBuilder.group(SwiftPayApi, "events", (handlers) =>
  Effect.gen(function* () {
    const log = yield* EventLog
    return handlers.handle(
      "list",
      Effect.fnUntraced(function* ({ urlParams }) {
        const actor = yield* CurrentActor
        const { target: userId } = yield* actFor(actor, urlParams.userId ?? actor.userId)
        const after = yield* afterOf(userId, urlParams.after)
        const page = yield* log.read({ userId, after, limit: urlParams.limit ?? 50, type: urlParams.type })
        const last = page[page.length - 1]
        return {
          success: true as const,
          events: page.map((e) => toWire(e.event)),
          nextCursor: last === undefined ? null : last.event.eventId
        }
      })
    )
  })
)
