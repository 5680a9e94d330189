import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import {
  normalizeSelection,
  toWire,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEndpointId
} from "../../domain/index.js"
import { WebhookEndpoints } from "../../programs/webhooks/WebhookEndpoints.js"
import { CurrentActor } from "../api/auth.js"
import { SwiftPayApi } from "../api/SwiftPayApi.js"
import { CreateWebhookBody, UpdateWebhookBody } from "../api/webhooks.js"
import { readBody } from "../request.js"
import { withResponseHeaders } from "../respond.js"

const iso = (ms: number) => new Date(ms).toISOString()

const endpointJson = (e: WebhookEndpoint) => ({
  id: e.id,
  userId: e.userId,
  url: e.url,
  events: [...e.events],
  ...(e.description === undefined ? {} : { description: e.description }),
  status: e.status,
  ...(e.disabledReason === undefined ? {} : { disabledReason: e.disabledReason }),
  createdAt: iso(e.createdAt),
  updatedAt: iso(e.updatedAt)
})

const withSecret = (e: WebhookEndpoint) => ({
  ...endpointJson(e),
  secret: e.secret,
  ...(e.retiredSecrets[0] === undefined ? {} : { previousSecretExpiresAt: iso(e.retiredSecrets[0].expiresAt) })
})

const deliveryJson = (d: WebhookDelivery) => ({
  eventId: d.event.eventId,
  eventType: d.event.type,
  status: d.state._tag,
  createdAt: iso(d.createdAt),
  ...(d.state._tag === "pending" ? { nextAttemptAt: iso(d.state.nextAttemptAt) } : {}),
  ...(d.state._tag === "delivered" ? { deliveredAt: iso(d.state.deliveredAt) } : {}),
  ...(d.state._tag === "failed" ? { failedAt: iso(d.state.failedAt), failureReason: d.state.reason } : {}),
  attempts: d.attempts.map((a) => ({
    attempt: a.attempt,
    at: iso(a.at),
    durationMs: a.durationMs,
    ...(a.httpStatus === undefined ? {} : { httpStatus: a.httpStatus }),
    ...(a.error === undefined ? {} : { error: a.error }),
    ...(a.nextAttemptAt === undefined ? {} : { nextAttemptAt: iso(a.nextAttemptAt) })
  })),
  event: toWire(d.event)
})

/** A delivery page's cursor is its last delivery's id; only this endpoint's are valid. */
const cursorOf = (endpointId: WebhookEndpointId, cursor: string | undefined) =>
  cursor === undefined || cursor === "" ? undefined : `${endpointId}:${cursor}`

export const WebhooksLive = HttpApiBuilder.group(SwiftPayApi, "webhooks", (handlers) =>
  Effect.gen(function* () {
    const webhooks = yield* WebhookEndpoints
    return handlers
      .handleRaw(
        "create",
        Effect.fnUntraced(function* () {
          const actor = yield* CurrentActor
          const body = yield* readBody(CreateWebhookBody, "webhook endpoint")
          const endpoint = yield* webhooks.create(actor, body.userId ?? actor.userId, {
            url: body.url,
            events: normalizeSelection(body.events ?? ["*"]),
            description: body.description
          })
          yield* withResponseHeaders({ location: `/api/webhooks/${endpoint.id}` })
          return { success: true as const, endpoint: withSecret(endpoint) }
        })
      )
      .handle(
        "list",
        Effect.fnUntraced(function* ({ urlParams }) {
          const actor = yield* CurrentActor
          const endpoints = yield* webhooks.list(actor, urlParams.userId ?? actor.userId)
          return { success: true as const, endpoints: endpoints.map(endpointJson) }
        })
      )
      .handle(
        "get",
        Effect.fnUntraced(function* ({ path }) {
          const endpoint = yield* webhooks.get(yield* CurrentActor, path.id)
          return { success: true as const, endpoint: endpointJson(endpoint) }
        })
      )
      .handleRaw(
        "update",
        Effect.fnUntraced(function* ({ path }) {
          const actor = yield* CurrentActor
          const body = yield* readBody(UpdateWebhookBody, "webhook endpoint")
          const endpoint = yield* webhooks.change(actor, path.id, {
            ...body,
            events: body.events === undefined ? undefined : normalizeSelection(body.events)
          })
          return { success: true as const, endpoint: endpointJson(endpoint) }
        })
      )
      .handle(
        "delete",
        Effect.fnUntraced(function* ({ path }) {
          yield* webhooks.remove(yield* CurrentActor, path.id)
          return { success: true as const }
        })
      )
      .handle(
        "rotateSecret",
        Effect.fnUntraced(function* ({ path }) {
          const endpoint = yield* webhooks.rotateSecret(yield* CurrentActor, path.id)
          return { success: true as const, endpoint: withSecret(endpoint) }
        })
      )
      .handle(
        "deliveries",
        Effect.fnUntraced(function* ({ path, urlParams }) {
          const limit = urlParams.limit ?? 20
          const page = yield* webhooks.deliveries(yield* CurrentActor, path.id, {
            before: cursorOf(path.id, urlParams.cursor),
            limit
          })
          const last = page[page.length - 1]
          return {
            success: true as const,
            deliveries: page.map(deliveryJson),
            nextCursor: page.length === limit && last !== undefined ? last.event.eventId : null
          }
        })
      )
      .handle(
        "retry",
        Effect.fnUntraced(function* ({ path }) {
          const delivery = yield* webhooks.retry(yield* CurrentActor, path.id, path.eventId)
          yield* withResponseHeaders({ location: `/api/webhooks/${path.id}/deliveries` })
          return { success: true as const, delivery: deliveryJson(delivery) }
        })
      )
  })
)
