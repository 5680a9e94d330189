import { randomBytes } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, type Layer, Option } from "effect"
import {
  type DeliveryAttempt,
  eventIdOf,
  minor,
  newDelivery,
  type PayoutEvent,
  TransactionId,
  UserId,
  type WebhookDelivery,
  type WebhookEndpoint,
  WebhookEndpointId,
  WebhookLimitReached
} from "../../src/domain/index.js"
import { WebhookStore } from "../../src/ports/WebhookStore.js"

let counter = 0
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`

export const endpointFor = (userId: UserId, at: number, extra: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
  id: WebhookEndpointId.make(`we_${randomBytes(12).toString("hex")}`),
  userId,
  url: "https://hooks.example.com/swiftpay",
  events: ["*"],
  status: "enabled",
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  retiredSecrets: [],
  createdAt: at,
  updatedAt: at,
  ...extra
})

export const eventOf = (userId: UserId, sequence: number, at: number): PayoutEvent => ({
  eventId: eventIdOf(userId, sequence),
  sequence,
  type: "PAYOUT_COMPLETED",
  transactionId: TransactionId.make(
    `TXN_${at.toString(36).toUpperCase()}_${randomBytes(8).toString("hex").toUpperCase()}`
  ),
  userId,
  status: "completed",
  amount: minor(1_000),
  currency: "USD",
  newBalance: minor(9_000),
  timestamp: at
})

const freshUser = () => UserId.make(`whu_${unique()}`)

const attemptAt = (attempt: number, at: number, httpStatus = 500): DeliveryAttempt => ({
  attempt,
  at,
  durationMs: 12,
  httpStatus
})

const T0 = 1_700_000_000_000

/**
 * One user with one endpoint and `n` deliveries due at base + i. The layer is
 * shared by the tests: one that claims with a limit seeds before every other's
 * deliveries, which claimDue takes oldest first.
 */
const seeded = (n: number, base = T0) =>
  Effect.gen(function* () {
    const store = yield* WebhookStore
    const userId = freshUser()
    const endpoint = endpointFor(userId, base)
    yield* store.createEndpoint(endpoint, 10)
    const deliveries: Array<WebhookDelivery> = Array.from({ length: n }, (_, i) =>
      newDelivery(endpoint, eventOf(userId, i + 1, base), base + i)
    )
    yield* store.enqueue(deliveries)
    return { store, userId, endpoint, deliveries }
  })

/** Whatever else is due in a shared store, only this endpoint's count here. */
const claimMine = (endpointId: WebhookEndpointId, now: number, owner: string, limit = 1_000) =>
  Effect.flatMap(WebhookStore, (s) => s.claimDue({ now, owner, leaseMs: 30_000, limit })).pipe(
    Effect.map((claimed) => claimed.filter((d) => d.endpointId === endpointId))
  )

export const webhookStoreContract = (name: string, layer: Layer.Layer<WebhookStore>) =>
  describe(`WebhookStore contract: ${name}`, () => {
    it.layer(layer)((it) => {
      it.effect("an endpoint is created, read, listed, patched and deleted", () =>
        Effect.gen(function* () {
          const store = yield* WebhookStore
          const userId = freshUser()
          const a = endpointFor(userId, T0)
          const b = endpointFor(userId, T0 + 1, { events: ["PAYOUT_FAILED"], description: "failures" })
          yield* store.createEndpoint(a, 10)
          yield* store.createEndpoint(b, 10)
          expect(yield* store.getEndpoint(a.id)).toEqual(Option.some(a))
          expect((yield* store.listEndpoints(userId)).map((e) => e.id)).toEqual([a.id, b.id])
          expect(yield* store.listEndpoints(freshUser())).toEqual([])

          const disabled = yield* store.updateEndpoint(a.id, { status: "disabled", disabledReason: "410 Gone" }, T0 + 5)
          expect(Option.map(disabled, (e) => [e.status, e.disabledReason, e.updatedAt, e.url])).toEqual(
            Option.some(["disabled", "410 Gone", T0 + 5, a.url])
          )
          const enabled = yield* store.updateEndpoint(a.id, { status: "enabled", url: "https://x.example/h" }, T0 + 6)
          expect(Option.map(enabled, (e) => [e.status, e.disabledReason, e.url])).toEqual(
            Option.some(["enabled", undefined, "https://x.example/h"])
          )
          const rotated = yield* store.updateEndpoint(
            a.id,
            { secret: "whsec_bmV3", retiredSecrets: [{ secret: a.secret, expiresAt: T0 + 99 }] },
            T0 + 7
          )
          expect(Option.map(rotated, (e) => [e.secret, e.retiredSecrets])).toEqual(
            Option.some(["whsec_bmV3", [{ secret: a.secret, expiresAt: T0 + 99 }]])
          )
          expect(yield* store.getEndpoint(a.id)).toEqual(rotated)
          // conditional: only while the endpoint still has what the writer read
          expect(yield* store.updateEndpoint(a.id, { secret: "whsec_eA==" }, T0 + 8, { secret: a.secret })).toEqual(
            Option.none()
          )
          expect(
            yield* store.updateEndpoint(a.id, { status: "disabled" }, T0 + 8, { url: "https://elsewhere.example" })
          ).toEqual(Option.none())
          const moved = yield* store.updateEndpoint(a.id, { url: "https://y.example/h" }, T0 + 9, {
            url: "https://x.example/h",
            secret: "whsec_bmV3"
          })
          expect(Option.map(moved, (e) => [e.url, e.status])).toEqual(Option.some(["https://y.example/h", "enabled"]))

          expect(yield* store.deleteEndpoint(a.id)).toBe(true)
          expect(yield* store.deleteEndpoint(a.id)).toBe(false)
          expect(yield* store.getEndpoint(a.id)).toEqual(Option.none())
          expect(yield* store.updateEndpoint(a.id, { status: "disabled" }, T0)).toEqual(Option.none())
          expect((yield* store.listEndpoints(userId)).map((e) => e.id)).toEqual([b.id])
        })
      )

      it.effect("a user may hold at most maxPerUser endpoints", () =>
        Effect.gen(function* () {
          const store = yield* WebhookStore
          const userId = freshUser()
          yield* store.createEndpoint(endpointFor(userId, T0), 2)
          yield* store.createEndpoint(endpointFor(userId, T0), 2)
          const third = yield* Effect.exit(store.createEndpoint(endpointFor(userId, T0), 2))
          expect(third).toEqual(Exit.fail(new WebhookLimitReached({ limit: 2 })))
          yield* store.createEndpoint(endpointFor(freshUser(), T0), 2)
          expect(yield* store.listEndpoints(userId)).toHaveLength(2)
        })
      )

      it.effect("enqueue adds only deliveries not there yet: the fan-out may repeat", () =>
        Effect.gen(function* () {
          const { store, endpoint, deliveries } = yield* seeded(3)
          expect(yield* store.enqueue(deliveries)).toBe(0)
          const more = newDelivery(endpoint, eventOf(endpoint.userId, 4, T0), T0)
          expect(yield* store.enqueue([more, ...deliveries])).toBe(1)
          expect(yield* store.listDeliveries(endpoint.id, { limit: 10 })).toHaveLength(4)
          expect(yield* store.getDelivery(more.id)).toEqual(Option.some(more))
        })
      )

      it.effect("claimDue leases what is due, oldest first, and not what is leased, future or finished", () =>
        Effect.gen(function* () {
          const B = T0 - 10 ** 10
          const { store, endpoint, deliveries } = yield* seeded(4, B)
          const [d0, d1, d2, d3] = deliveries
          if (!d0 || !d1 || !d2 || !d3) return yield* Effect.dieMessage("seeded")
          // d3 is due only at B + 3
          const first = yield* claimMine(endpoint.id, B + 2, "w1", 2)
          expect(first.map((d) => d.id)).toEqual([d0.id, d1.id])
          expect(first.every((d) => d.lease?.owner === "w1" && d.lease.until === B + 2 + 30_000)).toBe(true)
          const second = yield* claimMine(endpoint.id, B + 2, "w2")
          expect(second.map((d) => d.id)).toEqual([d2.id])
          // d0 finished; d1's lease runs out; d2's does not yet
          yield* store.recordAttempt({
            deliveryId: d0.id,
            owner: "w1",
            attempt: attemptAt(1, B + 2, 200),
            next: { _tag: "delivered", deliveredAt: B + 2 }
          })
          const later = yield* claimMine(endpoint.id, B + 2 + 30_000, "w3")
          expect(later.map((d) => d.id).sort()).toEqual([d1.id, d2.id, d3.id].sort())
        })
      )

      it.effect("two claimers racing for the same deliveries get each one once between them", () =>
        Effect.gen(function* () {
          const B = T0 - 2 * 10 ** 10
          const { endpoint, deliveries } = yield* seeded(20, B)
          const claims = yield* Effect.all(
            Array.from({ length: 6 }, (_, i) => claimMine(endpoint.id, B + 100, `w${i}`, 5)),
            { concurrency: "unbounded" }
          )
          const ids = claims.flat().map((d) => d.id)
          expect(new Set(ids).size).toBe(ids.length)
          expect(ids.sort()).toEqual(deliveries.map((d) => d.id).sort())
        })
      )

      it.effect("recordAttempt writes only under the owner's lease and at the next attempt number", () =>
        Effect.gen(function* () {
          const { store, endpoint, deliveries } = yield* seeded(1)
          const d = deliveries[0]
          if (!d) return yield* Effect.dieMessage("seeded")
          yield* claimMine(endpoint.id, T0, "w1")
          const retryAt = T0 + 5_000
          const failed = { ...attemptAt(1, T0), nextAttemptAt: retryAt }
          const pending = { _tag: "pending", nextAttemptAt: retryAt } as const
          expect(yield* store.recordAttempt({ deliveryId: d.id, owner: "w2", attempt: failed, next: pending })).toBe(
            false
          )
          expect(
            yield* store.recordAttempt({ deliveryId: d.id, owner: "w1", attempt: attemptAt(2, T0), next: pending })
          ).toBe(false)
          expect(yield* store.recordAttempt({ deliveryId: d.id, owner: "w1", attempt: failed, next: pending })).toBe(
            true
          )
          // the lease is released: a repeat of the same write is refused
          expect(yield* store.recordAttempt({ deliveryId: d.id, owner: "w1", attempt: failed, next: pending })).toBe(
            false
          )
          const after = yield* store.getDelivery(d.id)
          expect(Option.map(after, (x) => [x.state, x.attempts, x.lease])).toEqual(
            Option.some([pending, [failed], undefined])
          )
          expect(yield* claimMine(endpoint.id, retryAt - 1, "w1")).toEqual([])
          const [again] = yield* claimMine(endpoint.id, retryAt, "w2")
          expect(again?.id).toBe(d.id)
          const ok = attemptAt(2, retryAt, 204)
          expect(
            yield* store.recordAttempt({
              deliveryId: d.id,
              owner: "w2",
              attempt: ok,
              next: { _tag: "delivered", deliveredAt: retryAt }
            })
          ).toBe(true)
          expect(Option.map(yield* store.getDelivery(d.id), (x) => [x.state._tag, x.attempts.length])).toEqual(
            Option.some(["delivered", 2])
          )
          expect(yield* claimMine(endpoint.id, retryAt + 10 ** 9, "w3")).toEqual([])
        })
      )

      it.effect("retry makes a finished delivery due again, keeping its attempts", () =>
        Effect.gen(function* () {
          const { store, endpoint, deliveries } = yield* seeded(1)
          const d = deliveries[0]
          if (!d) return yield* Effect.dieMessage("seeded")
          yield* claimMine(endpoint.id, T0, "w1")
          yield* store.recordAttempt({
            deliveryId: d.id,
            owner: "w1",
            attempt: attemptAt(1, T0),
            next: { _tag: "failed", failedAt: T0, reason: "HTTP 500" }
          })
          const again = yield* store.retry(d.id, T0 + 50)
          expect(Option.map(again, (x) => [x.state, x.attempts.length])).toEqual(
            Option.some([{ _tag: "pending", nextAttemptAt: T0 + 50 }, 1])
          )
          expect((yield* claimMine(endpoint.id, T0 + 50, "w2")).map((x) => x.id)).toEqual([d.id])
          expect(yield* store.retry(`${endpoint.id}:evt_nobody_0000000001`, T0)).toEqual(Option.none())
        })
      )

      it.effect("a retry asked for during an attempt keeps the delivery due right after it, whatever it ended in", () =>
        Effect.gen(function* () {
          const B = T0 - 3 * 10 ** 10
          const { store, endpoint, deliveries } = yield* seeded(1, B)
          const d = deliveries[0]
          if (!d) return yield* Effect.dieMessage("seeded")
          yield* claimMine(endpoint.id, B, "w1")
          const again = yield* store.retry(d.id, B + 10)
          expect(Option.map(again, (x) => x.state)).toEqual(Option.some({ _tag: "pending", nextAttemptAt: B + 10 }))
          // the attempt in flight ends: failed for good, it says; the retry wins
          expect(
            yield* store.recordAttempt({
              deliveryId: d.id,
              owner: "w1",
              attempt: { ...attemptAt(1, B), durationMs: 40 },
              next: { _tag: "failed", failedAt: B + 40, reason: "HTTP 500" }
            })
          ).toBe(true)
          const after = Option.getOrThrow(yield* store.getDelivery(d.id))
          expect([after.state, after.attempts.length, after.lease, after.retryRequested]).toEqual([
            { _tag: "pending", nextAttemptAt: B + 40 },
            1,
            undefined,
            undefined
          ])
          expect((yield* claimMine(endpoint.id, B + 40, "w2")).map((x) => x.id)).toEqual([d.id])
        })
      )

      it.effect("pruneDeliveries drops finished deliveries created before the cut, never pending ones", () =>
        Effect.gen(function* () {
          const B = T0 - 4 * 10 ** 10
          const { store, endpoint, deliveries } = yield* seeded(3, B)
          const [done, failed, pending] = deliveries
          if (!done || !failed || !pending) return yield* Effect.dieMessage("seeded")
          yield* claimMine(endpoint.id, B + 2, "w1")
          yield* store.recordAttempt({
            deliveryId: done.id,
            owner: "w1",
            attempt: attemptAt(1, B, 200),
            next: { _tag: "delivered", deliveredAt: B }
          })
          yield* store.recordAttempt({
            deliveryId: failed.id,
            owner: "w1",
            attempt: attemptAt(1, B),
            next: { _tag: "failed", failedAt: B, reason: "HTTP 500" }
          })
          expect(yield* store.pruneDeliveries(B)).toBe(0) // none created before B
          expect(yield* store.pruneDeliveries(B + 100)).toBe(2)
          expect((yield* store.listDeliveries(endpoint.id, { limit: 10 })).map((d) => d.id)).toEqual([pending.id])
        })
      )

      it.effect("deliveries page newest first; deleting the endpoint deletes them", () =>
        Effect.gen(function* () {
          const { store, endpoint, deliveries } = yield* seeded(5)
          const first = yield* store.listDeliveries(endpoint.id, { limit: 2 })
          expect(first.map((d) => d.id)).toEqual([deliveries[4]?.id, deliveries[3]?.id])
          const second = yield* store.listDeliveries(endpoint.id, { before: first[1]?.id, limit: 10 })
          expect(second.map((d) => d.id)).toEqual([2, 1, 0].map((i) => deliveries[i]?.id))
          expect(yield* store.deleteEndpoint(endpoint.id)).toBe(true)
          expect(yield* store.listDeliveries(endpoint.id, { limit: 10 })).toEqual([])
          expect(yield* store.getDelivery(deliveries[0]?.id ?? "")).toEqual(Option.none())
          expect(yield* store.enqueue(deliveries)).toBe(0)
        })
      )
    })
  })
