import { Context, type Effect, type Option } from "effect"
import type {
  DeliveryAttempt,
  DeliveryState,
  EndpointStatus,
  EventSelection,
  RetiredSecret,
  ServiceUnavailable,
  UserId,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointId,
  WebhookLimitReached
} from "../domain/index.js"

export interface EndpointPatch {
  readonly url?: string
  readonly events?: EventSelection
  readonly description?: string
  readonly status?: EndpointStatus
  /** Set with `status: "disabled"`; cleared when enabled again. */
  readonly disabledReason?: string
  readonly secret?: string
  readonly retiredSecrets?: ReadonlyArray<RetiredSecret>
}

/** Write only while the endpoint still has these (what the writer read): a compare-and-set. */
export interface EndpointCondition {
  readonly url?: string
  readonly secret?: string
}

export interface ClaimRequest {
  readonly now: number
  /** The claimer: a process-unique id. */
  readonly owner: string
  readonly leaseMs: number
  readonly limit: number
}

/** An attempt's outcome, written only by the lease's owner. */
export interface AttemptRecord {
  readonly deliveryId: string
  readonly owner: string
  readonly attempt: DeliveryAttempt
  readonly next: DeliveryState
}

export interface DeliveryPage {
  /** Only deliveries created before this one (the previous page's last id). */
  readonly before?: string | undefined
  readonly limit: number
}

/**
 * Webhook endpoints and their deliveries. Every write is one conditional
 * step: repeating it is a no-op, and two workers racing for the same
 * delivery get it once between them.
 */
export interface WebhookStoreShape {
  /** Fails when the user has `maxPerUser` endpoints already. */
  readonly createEndpoint: (
    endpoint: WebhookEndpoint,
    maxPerUser: number
  ) => Effect.Effect<void, WebhookLimitReached | ServiceUnavailable>
  readonly getEndpoint: (id: WebhookEndpointId) => Effect.Effect<Option.Option<WebhookEndpoint>, ServiceUnavailable>
  /** The user's endpoints, oldest first. */
  readonly listEndpoints: (userId: UserId) => Effect.Effect<ReadonlyArray<WebhookEndpoint>, ServiceUnavailable>
  /**
   * None when there is no such endpoint, or it no longer meets `when`.
   * `disabledReason` is written only with `status: "disabled"`; `enabled` clears it.
   */
  readonly updateEndpoint: (
    id: WebhookEndpointId,
    patch: EndpointPatch,
    now: number,
    when?: EndpointCondition
  ) => Effect.Effect<Option.Option<WebhookEndpoint>, ServiceUnavailable>
  /** Deletes the endpoint and its deliveries; false when there was none. */
  readonly deleteEndpoint: (id: WebhookEndpointId) => Effect.Effect<boolean, ServiceUnavailable>

  /** Adds the deliveries not there yet (by id); returns how many it added. */
  readonly enqueue: (deliveries: ReadonlyArray<WebhookDelivery>) => Effect.Effect<number, ServiceUnavailable>
  /**
   * Leases up to `limit` pending deliveries due by `now` whose lease (if any)
   * has run out, oldest due first. Each is leased to one claimer only.
   */
  readonly claimDue: (request: ClaimRequest) => Effect.Effect<ReadonlyArray<WebhookDelivery>, ServiceUnavailable>
  /**
   * Appends the attempt and moves to `next`, releasing the lease: only while
   * `owner` holds it and the delivery has `attempt.attempt - 1` attempts.
   * False when not (the lease ran out and someone else took it). A retry asked
   * for meanwhile overrides `next`: pending, due when the attempt ended.
   */
  readonly recordAttempt: (record: AttemptRecord) => Effect.Effect<boolean, ServiceUnavailable>
  readonly getDelivery: (id: string) => Effect.Effect<Option.Option<WebhookDelivery>, ServiceUnavailable>
  /** The endpoint's deliveries, newest first. */
  readonly listDeliveries: (
    endpointId: WebhookEndpointId,
    page: DeliveryPage
  ) => Effect.Effect<ReadonlyArray<WebhookDelivery>, ServiceUnavailable>
  /** Deletes delivered and failed deliveries created before `createdBefore`; returns how many. */
  readonly pruneDeliveries: (createdBefore: number) => Effect.Effect<number, ServiceUnavailable>
  /**
   * Makes the delivery due at `now` again, whatever its state. While an attempt
   * holds a live lease, that attempt's record keeps it due (right after it)
   * instead of whatever state it ends in. None when there is none.
   */
  readonly retry: (id: string, now: number) => Effect.Effect<Option.Option<WebhookDelivery>, ServiceUnavailable>
}

export class WebhookStore extends Context.Tag("swiftpay/WebhookStore")<WebhookStore, WebhookStoreShape>() {}
