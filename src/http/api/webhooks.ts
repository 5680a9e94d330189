import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import {
  EndpointStatus,
  eventTypeList,
  PayoutEventType,
  says,
  UserId,
  WebhookEndpointId,
  WirePayoutEvent
} from "../../domain/index.js"
import { Authentication } from "./auth.js"
import { ApiErrors } from "./errors.js"
import { PageLimit } from "./schemas.js"

const Timestamp = Schema.String.annotations({ description: "ISO 8601 date-time" })

const Url = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(2048),
  Schema.annotations({
    ...says("url must be an absolute https URL of at most 2048 characters"),
    examples: ["https://example.com/hooks/swiftpay"]
  })
)

const eventTypes = `events must be a non-empty list of ${eventTypeList}, or ["*"]`
const Events = Schema.Array(Schema.Union(Schema.Literal("*"), PayoutEventType)).pipe(
  Schema.minItems(1),
  Schema.maxItems(10),
  Schema.annotations({ ...says(eventTypes), examples: [["*"], ["PAYOUT_COMPLETED", "PAYOUT_FAILED"]] })
)

const Description = Schema.String.pipe(
  Schema.maxLength(500),
  Schema.annotations(says("description must be at most 500 characters"))
)

export const CreateWebhookBody = Schema.Struct({
  url: Url,
  events: Schema.optional(Events),
  description: Schema.optional(Description),
  userId: Schema.optional(UserId.annotations({ description: "admin only: whose endpoint this is" }))
}).annotations({ identifier: "CreateWebhook" })

export const UpdateWebhookBody = Schema.Struct({
  url: Schema.optional(Url),
  events: Schema.optional(Events),
  description: Schema.optional(Description),
  status: Schema.optional(EndpointStatus.annotations(says("status must be enabled or disabled")))
}).annotations({ identifier: "UpdateWebhook" })

export const WebhookEndpointJson = Schema.Struct({
  id: WebhookEndpointId,
  userId: UserId,
  url: Schema.String,
  events: Schema.Array(Schema.String),
  description: Schema.optional(Schema.String),
  status: EndpointStatus,
  disabledReason: Schema.optional(Schema.String),
  createdAt: Timestamp,
  updatedAt: Timestamp
}).annotations({ identifier: "WebhookEndpoint" })

/** Only in the answers to create and rotate: the secret is never shown again. */
export const WebhookEndpointWithSecret = Schema.Struct({
  ...WebhookEndpointJson.fields,
  secret: Schema.String.annotations({ description: "whsec_…: verify signatures with it (Standard Webhooks)" }),
  previousSecretExpiresAt: Schema.optional(
    Timestamp.annotations({ description: "after a rotation: until then the old secret signs too" })
  )
}).annotations({ identifier: "WebhookEndpointWithSecret" })

const Attempt = Schema.Struct({
  attempt: Schema.Int,
  at: Timestamp,
  durationMs: Schema.Number,
  httpStatus: Schema.optional(Schema.Int),
  error: Schema.optional(Schema.String),
  nextAttemptAt: Schema.optional(Timestamp)
}).annotations({ identifier: "WebhookAttempt" })

export const DeliveryJson = Schema.Struct({
  eventId: Schema.String,
  eventType: PayoutEventType,
  status: Schema.Literal("pending", "delivered", "failed"),
  createdAt: Timestamp,
  nextAttemptAt: Schema.optional(Timestamp),
  deliveredAt: Schema.optional(Timestamp),
  failedAt: Schema.optional(Timestamp),
  failureReason: Schema.optional(Schema.String),
  attempts: Schema.Array(Attempt),
  event: WirePayoutEvent
}).annotations({ identifier: "WebhookDelivery" })

const EndpointPath = Schema.Struct({ id: WebhookEndpointId })

const Ok = Schema.Literal(true)

export class WebhooksGroup extends HttpApiGroup.make("webhooks")
  .add(
    HttpApiEndpoint.post("create", "/api/webhooks")
      .setPayload(CreateWebhookBody)
      .addSuccess(Schema.Struct({ success: Ok, endpoint: WebhookEndpointWithSecret }), { status: 201 })
      .addError(ApiErrors.Forbidden)
      .addError(ApiErrors.UserNotFound)
      .addError(ApiErrors.WebhookLimitReached)
      .addError(ApiErrors.PayloadTooLarge)
      .annotate(OpenApi.Summary, "Register an endpoint for your payout events; the answer holds its signing secret")
  )
  .add(
    HttpApiEndpoint.get("list", "/api/webhooks")
      .setUrlParams(
        Schema.Struct({
          userId: Schema.optionalWith(UserId.annotations({ description: "admin only: another user's endpoints" }), {
            exact: true
          })
        })
      )
      .addSuccess(Schema.Struct({ success: Ok, endpoints: Schema.Array(WebhookEndpointJson) }))
      .addError(ApiErrors.Forbidden)
      .annotate(OpenApi.Summary, "Your webhook endpoints, oldest first")
  )
  .add(
    HttpApiEndpoint.get("get", "/api/webhooks/:id")
      .setPath(EndpointPath)
      .addSuccess(Schema.Struct({ success: Ok, endpoint: WebhookEndpointJson }))
      .addError(ApiErrors.WebhookEndpointNotFound)
      .annotate(OpenApi.Summary, "One webhook endpoint")
  )
  .add(
    HttpApiEndpoint.patch("update", "/api/webhooks/:id")
      .setPath(EndpointPath)
      .setPayload(UpdateWebhookBody)
      .addSuccess(Schema.Struct({ success: Ok, endpoint: WebhookEndpointJson }))
      .addError(ApiErrors.WebhookEndpointNotFound)
      .addError(ApiErrors.PayloadTooLarge)
      .annotate(OpenApi.Summary, "Change an endpoint's url, events, description or status")
  )
  .add(
    HttpApiEndpoint.del("delete", "/api/webhooks/:id")
      .setPath(EndpointPath)
      .addSuccess(Schema.Struct({ success: Ok }))
      .addError(ApiErrors.WebhookEndpointNotFound)
      .annotate(OpenApi.Summary, "Delete an endpoint and its deliveries")
  )
  .add(
    HttpApiEndpoint.post("rotateSecret", "/api/webhooks/:id/rotate-secret")
      .setPath(EndpointPath)
      .addSuccess(Schema.Struct({ success: Ok, endpoint: WebhookEndpointWithSecret }))
      .addError(ApiErrors.WebhookEndpointNotFound)
      .annotate(OpenApi.Summary, "A new signing secret; the old one keeps signing alongside it for 24 hours")
  )
  .add(
    HttpApiEndpoint.get("deliveries", "/api/webhooks/:id/deliveries")
      .setPath(EndpointPath)
      .setUrlParams(
        Schema.Struct({
          cursor: Schema.optionalWith(Schema.String.annotations({ description: "the previous page's nextCursor" }), {
            exact: true
          }),
          limit: PageLimit
        })
      )
      .addSuccess(
        Schema.Struct({ success: Ok, deliveries: Schema.Array(DeliveryJson), nextCursor: Schema.NullOr(Schema.String) })
      )
      .addError(ApiErrors.WebhookEndpointNotFound)
      .annotate(OpenApi.Summary, "The endpoint's deliveries, newest first, each with its attempts")
  )
  .add(
    HttpApiEndpoint.post("retry", "/api/webhooks/:id/deliveries/:eventId/retry")
      .setPath(Schema.Struct({ id: WebhookEndpointId, eventId: Schema.String }))
      .addSuccess(Schema.Struct({ success: Ok, delivery: DeliveryJson }), { status: 202 })
      .addError(ApiErrors.WebhookEndpointNotFound)
      .addError(ApiErrors.WebhookDeliveryNotFound)
      .annotate(OpenApi.Summary, "Send a delivery again now, whatever became of it")
  )
  .addError(ApiErrors.RateLimitExceeded)
  .middlewareEndpoints(Authentication)
  .annotate(OpenApi.Title, "Webhooks")
  .annotate(
    OpenApi.Description,
    "Server-to-server notifications, signed as Standard Webhooks say (webhook-id, webhook-timestamp, webhook-signature)"
  ) {}
