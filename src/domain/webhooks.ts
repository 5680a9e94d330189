import { Schema } from "effect"
import { type PayoutEvent, PayoutEventType } from "./events.js"
import type { UserId } from "./ids.js"

export const WebhookEndpointId = Schema.String.pipe(
  Schema.pattern(/^we_[0-9a-f]{24}$/, { message: () => "a webhook endpoint id looks like we_<24 hex>" }),
  Schema.brand("WebhookEndpointId")
)
export type WebhookEndpointId = typeof WebhookEndpointId.Type

/** What an endpoint receives: every event type (`["*"]`), or the ones listed. */
export const EventSelection = Schema.Union(Schema.Tuple(Schema.Literal("*")), Schema.NonEmptyArray(PayoutEventType))
export type EventSelection = typeof EventSelection.Type

export const EndpointStatus = Schema.Literal("enabled", "disabled")
export type EndpointStatus = typeof EndpointStatus.Type

/** A signing secret retired by a rotation: it keeps signing next to the new one until `expiresAt`. */
export interface RetiredSecret {
  readonly secret: string
  readonly expiresAt: number
}

export interface WebhookEndpoint {
  readonly id: WebhookEndpointId
  readonly userId: UserId
  readonly url: string
  readonly events: EventSelection
  readonly description?: string | undefined
  readonly status: EndpointStatus
  /** Why it is disabled: its owner said so, or it answered 410 Gone. */
  readonly disabledReason?: string | undefined
  /** `whsec_<base64>`, the Standard Webhooks format. */
  readonly secret: string
  /** Rotated-out secrets still signing (newest first, at most MAX_RETIRED_SECRETS), each until it expires. */
  readonly retiredSecrets: ReadonlyArray<RetiredSecret>
  readonly createdAt: number
  readonly updatedAt: number
}

/** Duplicates dropped; `*` anywhere means every type. */
export const normalizeSelection = (events: ReadonlyArray<"*" | PayoutEventType>): EventSelection => {
  if (events.includes("*")) return ["*"]
  const types = [...new Set(events)] as Array<PayoutEventType>
  const [first, ...rest] = types
  return first === undefined ? ["*"] : [first, ...rest]
}

/** Whether `endpoint` gets `event`: enabled, subscribed to its type, and created before it was recorded. */
export const wants = (endpoint: WebhookEndpoint, event: PayoutEvent, recordedAt: number): boolean =>
  endpoint.status === "enabled" &&
  endpoint.userId === event.userId &&
  endpoint.createdAt <= recordedAt &&
  (endpoint.events[0] === "*" || (endpoint.events as ReadonlyArray<string>).includes(event.type))

/** Each retired secret is one more signature on every message: rotations beyond this drop the oldest. */
export const MAX_RETIRED_SECRETS = 4

/** The secrets that sign a message at `now`: the current one, and the retired ones until they expire. */
export const signingSecrets = (endpoint: WebhookEndpoint, now: number): ReadonlyArray<string> => [
  endpoint.secret,
  ...endpoint.retiredSecrets.filter((r) => r.expiresAt > now).map((r) => r.secret)
]

/** After a rotation at `now`: the old secret first, the expired ones gone, at most MAX_RETIRED_SECRETS. */
export const retire = (endpoint: WebhookEndpoint, expiresAt: number, now: number): ReadonlyArray<RetiredSecret> =>
  [{ secret: endpoint.secret, expiresAt }, ...endpoint.retiredSecrets.filter((r) => r.expiresAt > now)].slice(
    0,
    MAX_RETIRED_SECRETS
  )

/** One POST to the endpoint: its HTTP status, or why there was none. */
export interface DeliveryAttempt {
  readonly attempt: number
  readonly at: number
  readonly durationMs: number
  readonly httpStatus?: number | undefined
  readonly error?: string | undefined
  /** When the next attempt is due; absent when this one ended the delivery. */
  readonly nextAttemptAt?: number | undefined
}

export type DeliveryState =
  | { readonly _tag: "pending"; readonly nextAttemptAt: number }
  | { readonly _tag: "delivered"; readonly deliveredAt: number }
  | { readonly _tag: "failed"; readonly failedAt: number; readonly reason: string }

/** A worker's claim on a pending delivery: no other worker attempts it until `until`. */
export interface DeliveryLease {
  readonly owner: string
  readonly until: number
}

/** One event for one endpoint. Its id is `<endpointId>:<eventId>`, so the fan-out can repeat without doubling it. */
export interface WebhookDelivery {
  readonly id: string
  readonly endpointId: WebhookEndpointId
  readonly userId: UserId
  readonly event: PayoutEvent
  readonly createdAt: number
  readonly state: DeliveryState
  readonly attempts: ReadonlyArray<DeliveryAttempt>
  readonly lease?: DeliveryLease | undefined
  /** A manual retry came while an attempt was in flight: whatever it ends in, the delivery is due again after it. */
  readonly retryRequested?: true | undefined
}

export const deliveryIdOf = (endpointId: WebhookEndpointId, eventId: string): string => `${endpointId}:${eventId}`

export const newDelivery = (endpoint: WebhookEndpoint, event: PayoutEvent, now: number): WebhookDelivery => ({
  id: deliveryIdOf(endpoint.id, event.eventId),
  endpointId: endpoint.id,
  userId: endpoint.userId,
  event,
  createdAt: now,
  state: { _tag: "pending", nextAttemptAt: now },
  attempts: []
})
