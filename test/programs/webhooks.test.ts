import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Option, TestClock } from "effect"
import { Webhook } from "standardwebhooks"
import type { EventSelection, UserId, WebhookDelivery, WebhookEndpoint } from "../../src/domain/index.js"
import * as MemoryWebhookStore from "../../src/ports/memory/webhookStore.js"
import { WebhookStore } from "../../src/ports/WebhookStore.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { retryDelay } from "../../src/programs/webhooks/retrySchedule.js"
import { WebhookDispatch } from "../../src/programs/webhooks/WebhookDispatch.js"
import { ROTATION_OVERLAP_MS, WebhookEndpoints, WebhookUrlCheck } from "../../src/programs/webhooks/WebhookEndpoints.js"
import { scriptedSender } from "../webhooks/scriptedSender.js"
import { createUser, infra, programs, settings } from "./harness.js"

const receiver = scriptedSender()

const layer = Layer.mergeAll(programs, WebhookDispatch.layer, WebhookEndpoints.layer).pipe(
  Layer.provideMerge(
    Layer.mergeAll(MemoryWebhookStore.layer, receiver.layer, Layer.succeed(WebhookUrlCheck, Effect.succeed))
  ),
  Layer.provideMerge(infra()),
  Layer.provide(
    settings({
      WEBHOOK_RETRY_BASE_MS: "1000",
      WEBHOOK_RETRY_MAX_DELAY_MS: "100000",
      WEBHOOK_MAX_ATTEMPTS: "4",
      WEBHOOK_TIMEOUT_MS: "5000"
    })
  )
)

/** Signatures are checked against the wall clock (5 minutes' tolerance): the test clock starts there. */
const atWallClock = TestClock.setTime(Date.now())

const submit = (userId: UserId, amount = "1.00") =>
  Effect.flatMap(PayoutIntake, (intake) =>
    intake.submit({ actor: { userId, role: "user" }, body: { userId, amount }, idempotencyKey: null })
  )

const endpointOf = (userId: UserId, events: EventSelection = ["*"]) =>
  Effect.flatMap(WebhookEndpoints, (w) =>
    w.create({ userId, role: "user" }, userId, { url: `https://hooks.example.com/${userId}`, events })
  )

const deliveriesOf = (endpoint: WebhookEndpoint) =>
  Effect.flatMap(WebhookStore, (s) => s.listDeliveries(endpoint.id, { limit: 100 }))

const only = (deliveries: ReadonlyArray<WebhookDelivery>) => {
  expect(deliveries).toHaveLength(1)
  return deliveries[0] as WebhookDelivery
}

const requestsTo = (endpoint: WebhookEndpoint) => receiver.requests.filter((r) => r.url === endpoint.url)

const pass = Effect.flatMap(WebhookDispatch, (d) => Effect.zip(d.fanOutOnce, d.dispatchOnce))

describe("Webhook delivery", () => {
  it.layer(layer)((it) => {
    it.effect(
      "an event reaches its endpoint signed, retried on the schedule with the same webhook-id, and once delivered never again",
      () =>
        Effect.gen(function* () {
          yield* atWallClock
          const dispatch = yield* WebhookDispatch
          const userId = yield* createUser(10_000, "wh")
          const endpoint = yield* endpointOf(userId)
          const accepted = yield* submit(userId)
          receiver.reply(500, "refused", 204)

          expect(yield* dispatch.fanOutOnce).toBeGreaterThanOrEqual(1)
          yield* dispatch.dispatchOnce
          const first = only(yield* deliveriesOf(endpoint))
          expect(first.attempts.map((a) => [a.attempt, a.httpStatus])).toEqual([[1, 500]])
          const firstDue = first.state._tag === "pending" ? first.state.nextAttemptAt - (first.attempts[0]?.at ?? 0) : 0
          expect(firstDue).toBeGreaterThanOrEqual(800)
          expect(firstDue).toBeLessThanOrEqual(1200)
          expect(yield* dispatch.dispatchOnce).toBe(0) // not due yet

          yield* TestClock.adjust(1_200)
          yield* dispatch.dispatchOnce
          const second = only(yield* deliveriesOf(endpoint))
          expect(second.attempts[1]).toMatchObject({ attempt: 2, error: "ECONNREFUSED" })
          const secondDue =
            second.state._tag === "pending" ? second.state.nextAttemptAt - (second.attempts[1]?.at ?? 0) : 0
          expect(secondDue).toBeGreaterThanOrEqual(2_400)
          expect(secondDue).toBeLessThanOrEqual(3_600)

          yield* TestClock.adjust(3_600)
          yield* dispatch.dispatchOnce
          const done = only(yield* deliveriesOf(endpoint))
          expect(done.state._tag).toBe("delivered")
          expect(done.attempts.map((a) => a.httpStatus ?? a.error)).toEqual([500, "ECONNREFUSED", 204])

          yield* TestClock.adjust(10 ** 8)
          yield* pass
          const sent = requestsTo(endpoint)
          expect(sent).toHaveLength(3)
          for (const request of sent) {
            expect(request.headers["webhook-id"]).toBe(done.event.eventId)
            const verified = new Webhook(endpoint.secret).verify(request.body, { ...request.headers })
            expect(verified).toEqual({
              type: "PAYOUT_INITIATED",
              timestamp: expect.any(String),
              data: expect.objectContaining({
                eventId: done.event.eventId,
                transactionId: accepted.transactionId,
                amount: 1,
                currency: "USD",
                status: "initiated"
              })
            })
          }
        })
    )

    it.effect("an endpoint gets only the types it chose, and only events recorded after it was created", () =>
      Effect.gen(function* () {
        yield* atWallClock
        const userId = yield* createUser(10_000, "wh")
        yield* submit(userId) // before any endpoint
        yield* TestClock.adjust(1)
        const failures = yield* endpointOf(userId, ["PAYOUT_FAILED"])
        const everything = yield* endpointOf(userId, ["*"])
        const other = yield* endpointOf(yield* createUser(10_000, "wh"))
        yield* submit(userId)
        yield* pass
        expect(yield* deliveriesOf(failures)).toEqual([])
        expect((yield* deliveriesOf(everything)).map((d) => [d.event.type, d.event.sequence])).toEqual([
          ["PAYOUT_INITIATED", 2]
        ])
        expect(yield* deliveriesOf(other)).toEqual([])
      })
    )

    it.effect("410 Gone disables the endpoint, and no new event is queued for it", () =>
      Effect.gen(function* () {
        yield* atWallClock
        const userId = yield* createUser(10_000, "wh")
        const endpoint = yield* endpointOf(userId)
        yield* submit(userId)
        receiver.reply(410)
        yield* pass
        const after = yield* Effect.flatMap(WebhookEndpoints, (w) => w.get({ userId, role: "user" }, endpoint.id))
        expect([after.status, after.disabledReason]).toEqual(["disabled", "The endpoint answered 410 Gone"])
        expect(only(yield* deliveriesOf(endpoint)).state).toMatchObject({
          _tag: "failed",
          reason: "HTTP 410 Gone: the endpoint is disabled"
        })
        yield* submit(userId)
        yield* pass
        expect(yield* deliveriesOf(endpoint)).toHaveLength(1)
        expect(requestsTo(endpoint)).toHaveLength(1)
      })
    )

    it.effect("a delivery queued before its endpoint was disabled is not sent, and says so", () =>
      Effect.gen(function* () {
        yield* atWallClock
        const userId = yield* createUser(10_000, "wh")
        const endpoint = yield* endpointOf(userId)
        yield* submit(userId)
        yield* Effect.flatMap(WebhookDispatch, (d) => d.fanOutOnce)
        yield* Effect.flatMap(WebhookEndpoints, (w) =>
          w.change({ userId, role: "user" }, endpoint.id, { status: "disabled" })
        )
        yield* pass
        const d = only(yield* deliveriesOf(endpoint))
        expect([d.state._tag, d.attempts[0]?.error]).toEqual(["failed", "not sent: the endpoint is disabled"])
        expect(requestsTo(endpoint)).toHaveLength(0)
      })
    )

    it.effect(
      "after WEBHOOK_MAX_ATTEMPTS the delivery is failed with the last reason; a manual retry sends it once more",
      () =>
        Effect.gen(function* () {
          yield* atWallClock
          const userId = yield* createUser(10_000, "wh")
          const endpoint = yield* endpointOf(userId)
          yield* submit(userId)
          receiver.reply(503, 503, 503, 503)
          for (let i = 0; i < 4; i++) {
            yield* pass
            yield* TestClock.adjust(100_000)
          }
          const failed = only(yield* deliveriesOf(endpoint))
          expect(failed.attempts).toHaveLength(4)
          expect(failed.state).toMatchObject({ _tag: "failed", reason: "gave up after 4 attempts; last: HTTP 503" })
          expect(failed.attempts[3]?.nextAttemptAt).toBeUndefined()
          yield* pass
          expect(requestsTo(endpoint)).toHaveLength(4)

          const owner = { userId, role: "user" } as const
          yield* Effect.flatMap(WebhookEndpoints, (w) => w.retry(owner, endpoint.id, failed.event.eventId))
          yield* pass
          const retried = only(yield* deliveriesOf(endpoint))
          expect([retried.state._tag, retried.attempts.length]).toEqual(["delivered", 5])
          const missing = yield* Effect.flip(
            Effect.flatMap(WebhookEndpoints, (w) => w.retry(owner, endpoint.id, "evt_nobody_0000000001"))
          )
          expect(missing._tag).toBe("WebhookDeliveryNotFound")
        })
    )

    it.effect("an attempt with no answer within WEBHOOK_TIMEOUT_MS counts as failed and is retried", () =>
      Effect.gen(function* () {
        yield* atWallClock
        const userId = yield* createUser(10_000, "wh")
        const endpoint = yield* endpointOf(userId)
        yield* submit(userId)
        receiver.reply("hang")
        yield* Effect.flatMap(WebhookDispatch, (d) => d.fanOutOnce)
        const running = yield* Effect.fork(Effect.flatMap(WebhookDispatch, (d) => d.dispatchOnce))
        yield* TestClock.adjust(5_000)
        yield* Fiber.join(running)
        const d = only(yield* deliveriesOf(endpoint))
        expect(d.attempts[0]).toMatchObject({ attempt: 1, error: "no answer in 5000 ms", durationMs: 5_000 })
        expect(d.state._tag).toBe("pending")
      })
    )

    it.effect("after a rotation both secrets sign until the overlap ends, then only the new one", () =>
      Effect.gen(function* () {
        yield* atWallClock
        const userId = yield* createUser(10_000, "wh")
        const owner = { userId, role: "user" } as const
        const endpoint = yield* endpointOf(userId)
        const rotated = yield* Effect.flatMap(WebhookEndpoints, (w) => w.rotateSecret(owner, endpoint.id))
        expect(rotated.secret).not.toBe(endpoint.secret)
        expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)
        yield* submit(userId)
        yield* pass
        const [request] = requestsTo(endpoint)
        if (!request) return yield* Effect.dieMessage("no request")
        expect(request.headers["webhook-signature"]?.split(" ")).toHaveLength(2)
        new Webhook(endpoint.secret).verify(request.body, { ...request.headers })
        new Webhook(rotated.secret).verify(request.body, { ...request.headers })

        yield* TestClock.adjust(ROTATION_OVERLAP_MS)
        yield* submit(userId)
        yield* pass
        const later = requestsTo(endpoint)[1]
        expect(later?.headers["webhook-signature"]?.split(" ")).toHaveLength(1)
      })
    )

    it.effect("a user manages only its own endpoints; an admin manages anyone's", () =>
      Effect.gen(function* () {
        const w = yield* WebhookEndpoints
        const alice = yield* createUser(0, "wh")
        const bob = yield* createUser(0, "wh")
        const mine = yield* endpointOf(alice)
        const asBob = { userId: bob, role: "user" } as const
        expect((yield* Effect.flip(w.get(asBob, mine.id)))._tag).toBe("WebhookEndpointNotFound")
        expect((yield* Effect.flip(w.remove(asBob, mine.id)))._tag).toBe("WebhookEndpointNotFound")
        expect((yield* Effect.flip(w.create(asBob, alice, { url: "https://x.example", events: ["*"] })))._tag).toBe(
          "Forbidden"
        )
        const admin = { userId: bob, role: "admin" } as const
        const made = yield* w.create(admin, alice, { url: "https://y.example", events: ["*"] })
        expect(made.userId).toBe(alice)
        const disabled = yield* w.change(admin, mine.id, { status: "disabled" })
        expect([disabled.status, disabled.disabledReason]).toEqual(["disabled", "Disabled by an admin"])
        const enabled = yield* w.change({ userId: alice, role: "user" }, mine.id, { status: "enabled" })
        expect([enabled.status, enabled.disabledReason]).toEqual(["enabled", undefined])
        expect((yield* w.list(admin, alice)).map((e) => e.id)).toEqual([mine.id, made.id])
        yield* w.remove(admin, made.id)
        expect(Option.isNone(yield* Effect.flatMap(WebhookStore, (s) => s.getEndpoint(made.id)))).toBe(true)
      })
    )
  })
})

describe("The webhook retry schedule", () => {
  const defaults = { baseMs: 5_000, maxDelayMs: 10 * 60 * 60 * 1000, maxAttempts: 11 }

  it.effect(
    "×3 from the base, capped, jittered by ±20%, none after the last attempt: the defaults span about a day",
    () =>
      Effect.gen(function* () {
        let total = 0
        for (let attempt = 1; attempt < defaults.maxAttempts; attempt++) {
          const delay = Option.getOrThrow(yield* retryDelay(defaults, attempt))
          const nominal = Math.min(5_000 * 3 ** (attempt - 1), defaults.maxDelayMs)
          expect(Duration.toMillis(delay)).toBeGreaterThanOrEqual(nominal * 0.8)
          expect(Duration.toMillis(delay)).toBeLessThanOrEqual(nominal * 1.2)
          total += Duration.toMillis(delay)
        }
        expect(total / 3_600_000).toBeGreaterThan(18)
        expect(total / 3_600_000).toBeLessThan(29)
        expect(yield* retryDelay(defaults, defaults.maxAttempts)).toEqual(Option.none())
      })
  )
})
