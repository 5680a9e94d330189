import { Effect, Layer, Option } from "effect"
import {
  type DeliveryState,
  type WebhookDelivery,
  type WebhookEndpoint,
  WebhookLimitReached
} from "../../domain/index.js"
import { WebhookStore, type WebhookStoreShape } from "../WebhookStore.js"

const newestFirst = (a: WebhookDelivery, b: WebhookDelivery) =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)

/** In memory: every method is one synchronous block, so each check-and-write is atomic. */
export const make = (): WebhookStoreShape => {
  const endpoints = new Map<string, WebhookEndpoint>()
  const deliveries = new Map<string, WebhookDelivery>()

  const isDue = (d: WebhookDelivery, now: number) =>
    d.state._tag === "pending" && d.state.nextAttemptAt <= now && (d.lease === undefined || d.lease.until <= now)

  return {
    createEndpoint: (endpoint, maxPerUser) =>
      Effect.suspend(() => {
        const owned = [...endpoints.values()].filter((e) => e.userId === endpoint.userId).length
        if (owned >= maxPerUser) return Effect.fail(new WebhookLimitReached({ limit: maxPerUser }))
        if (!endpoints.has(endpoint.id)) endpoints.set(endpoint.id, endpoint)
        return Effect.void
      }),

    getEndpoint: (id) => Effect.sync(() => Option.fromNullable(endpoints.get(id))),

    listEndpoints: (userId) =>
      Effect.sync(() =>
        [...endpoints.values()].filter((e) => e.userId === userId).sort((a, b) => a.createdAt - b.createdAt)
      ),

    updateEndpoint: (id, patch, now, when = {}) =>
      Effect.sync(() => {
        const current = endpoints.get(id)
        if (current === undefined) return Option.none()
        if (
          (when.url !== undefined && current.url !== when.url) ||
          (when.secret !== undefined && current.secret !== when.secret)
        ) {
          return Option.none()
        }
        const { disabledReason, ...rest } = patch
        const next: WebhookEndpoint = {
          ...current,
          ...rest,
          disabledReason:
            patch.status === "enabled"
              ? undefined
              : patch.status === "disabled"
                ? (disabledReason ?? current.disabledReason)
                : current.disabledReason,
          updatedAt: now
        }
        endpoints.set(id, next)
        return Option.some(next)
      }),

    deleteEndpoint: (id) =>
      Effect.sync(() => {
        for (const d of deliveries.values()) if (d.endpointId === id) deliveries.delete(d.id)
        return endpoints.delete(id)
      }),

    enqueue: (batch) =>
      Effect.sync(() => {
        let added = 0
        for (const d of batch) {
          if (deliveries.has(d.id) || !endpoints.has(d.endpointId)) continue
          deliveries.set(d.id, d)
          added++
        }
        return added
      }),

    claimDue: ({ now, owner, leaseMs, limit }) =>
      Effect.sync(() => {
        const due = [...deliveries.values()]
          .filter((d) => isDue(d, now))
          .sort((a, b) => dueAt(a) - dueAt(b) || a.createdAt - b.createdAt)
          .slice(0, Math.max(limit, 0))
        return due.map((d) => {
          const leased: WebhookDelivery = { ...d, lease: { owner, until: now + leaseMs } }
          deliveries.set(d.id, leased)
          return leased
        })
      }),

    recordAttempt: ({ deliveryId, owner, attempt, next }) =>
      Effect.sync(() => {
        const d = deliveries.get(deliveryId)
        if (
          d === undefined ||
          d.state._tag !== "pending" ||
          d.lease?.owner !== owner ||
          d.attempts.length !== attempt.attempt - 1
        ) {
          return false
        }
        const state: DeliveryState = d.retryRequested
          ? { _tag: "pending", nextAttemptAt: attempt.at + attempt.durationMs }
          : next
        const { retryRequested: _, ...rest } = d
        deliveries.set(deliveryId, { ...rest, attempts: [...d.attempts, attempt], state, lease: undefined })
        return true
      }),

    getDelivery: (id) => Effect.sync(() => Option.fromNullable(deliveries.get(id))),

    listDeliveries: (endpointId, { before, limit }) =>
      Effect.sync(() => {
        const mine = [...deliveries.values()].filter((d) => d.endpointId === endpointId).sort(newestFirst)
        const cursor = before === undefined ? undefined : deliveries.get(before)
        const after = cursor === undefined ? mine : mine.filter((d) => newestFirst(cursor, d) < 0)
        return before !== undefined && cursor === undefined ? [] : after.slice(0, Math.max(limit, 0))
      }),

    pruneDeliveries: (createdBefore) =>
      Effect.sync(() => {
        let dropped = 0
        for (const d of deliveries.values()) {
          if (d.state._tag !== "pending" && d.createdAt < createdBefore) {
            deliveries.delete(d.id)
            dropped++
          }
        }
        return dropped
      }),

    retry: (id, now) =>
      Effect.sync(() => {
        const d = deliveries.get(id)
        if (d === undefined) return Option.none()
        const inFlight = d.lease !== undefined && d.lease.until > now
        const again: WebhookDelivery = {
          ...d,
          state: { _tag: "pending", nextAttemptAt: now },
          ...(inFlight ? { retryRequested: true } : {})
        }
        deliveries.set(id, again)
        return Option.some(again)
      })
  }
}

const dueAt = (d: WebhookDelivery) => (d.state._tag === "pending" ? d.state.nextAttemptAt : Number.POSITIVE_INFINITY)

export const layer = Layer.sync(WebhookStore, make)
