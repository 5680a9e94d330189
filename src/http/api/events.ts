import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { eventTypeList, PayoutEventType, says, UserId, WirePayoutEvent } from "../../domain/index.js"
import { Authentication } from "./auth.js"
import { ApiErrors } from "./errors.js"
import { PageLimit } from "./schemas.js"

export const EventsParams = Schema.Struct({
  after: Schema.optionalWith(
    Schema.String.annotations({ description: "an eventId of this user's: only the events after it" }),
    { exact: true }
  ),
  limit: PageLimit,
  type: Schema.optionalWith(PayoutEventType.annotations(says(`type must be one of ${eventTypeList}`)), { exact: true }),
  userId: Schema.optionalWith(UserId.annotations({ description: "admin only: another user's events" }), {
    exact: true
  })
})

export const EventsPage = Schema.Struct({
  success: Schema.Literal(true),
  events: Schema.Array(WirePayoutEvent),
  /** The last event's id (pass it as `after`), null when the page is empty. */
  nextCursor: Schema.NullOr(Schema.String)
}).annotations({ identifier: "EventsPage" })

export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("list", "/api/events")
      .setUrlParams(EventsParams)
      .addSuccess(EventsPage)
      .addError(ApiErrors.Forbidden)
      .annotate(
        OpenApi.Summary,
        "Your payout events, oldest first, after a cursor: the durable record behind the socket events"
      )
  )
  .addError(ApiErrors.RateLimitExceeded)
  .middlewareEndpoints(Authentication)
  .annotate(OpenApi.Title, "Events") {}
