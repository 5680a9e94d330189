/**
 * Defects a review of webhook delivery proved with these tests (each failed
 * before its fix): head-of-line blocking, a retry lost to an attempt in flight,
 * rotations, an encoded URL, the retry cap, one store error failing a pass, a
 * late 410.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Option, Queue, TestClock } from "effect"
import { Webhook } from "standardwebhooks"
import { ServiceUnavailable, type UserId, type WebhookDelivery, type WebhookEndpoint } from "../../src/domain/index.js"
import * as MemoryWebhookStore from "../../src/ports/memory/webhookStore.js"
import { type WebhookRequest, WebhookSendError, WebhookSender } from "../../src/ports/WebhookSender.js"
import { WebhookStore, type WebhookStoreShape } from "../../src/ports/WebhookStore.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { retryDelay } from "../../src/programs/webhooks/retrySchedule.js"
import { WebhookDispatch } from "../../src/programs/webhooks/WebhookDispatch.js"
import { WebhookEndpoints, WebhookUrlCheck } from "../../src/programs/webhooks/WebhookEndpoints.js"
import { UrlCheck } from "../../src/runtime/webhooks.js"
import { createUser, infra, programs, settings } from "../programs/harness.js"

type Reply = number | "refused" | "hang" | "gate"

/** Answers by URL; "gate" waits for the test to `open` it with a status. Records requests and interruptions. */
const routedSender = (route: (url: string) => Reply) =>
  Effect.gen(function* () {
    const gate = yield* Queue.unbounded<number>()
    const requests: Array<WebhookRequest> = []
    const interrupted: Array<string> = []
    const sender = WebhookSender.of({
      send: (request) =>
        Effect.suspend(() => {
          requests.push(request)
          const reply = route(request.url)
          if (reply === "hang") return Effect.never
          if (reply === "gate") return Effect.map(Queue.take(gate), (status) => ({ status }))
          if (reply === "refused")
            return Effect.fail(new WebhookSendError({ reason: "network", message: "ECONNREFUSED" }))
          return Effect.succeed({ status: reply })
        }).pipe(Effect.onInterrupt(() => Effect.sync(() => interrupted.push(request.url))))
    })
    return {
      requests,
      interrupted,
      open: (status: number) => Queue.offer(gate, status),
      layer: Layer.succeed(WebhookSender, sender)
    }
  })

const memoryStore = (wrap: (s: WebhookStoreShape) => WebhookStoreShape = (s) => s) =>
  Layer.sync(WebhookStore, () => wrap(MemoryWebhookStore.make()))

const layerWith = (
  sender: Layer.Layer<WebhookSender>,
  env: Record<string, string> = {},
  store: Layer.Layer<WebhookStore> = memoryStore()
) =>
  Layer.mergeAll(programs, WebhookDispatch.layer, WebhookEndpoints.layer).pipe(
    Layer.provideMerge(Layer.mergeAll(store, sender, Layer.succeed(WebhookUrlCheck, Effect.succeed))),
    Layer.provideMerge(infra()),
    Layer.provide(
      settings({
        WEBHOOK_RETRY_BASE_MS: "1000",
        WEBHOOK_RETRY_MAX_DELAY_MS: "100000",
        WEBHOOK_MAX_ATTEMPTS: "4",
        WEBHOOK_TIMEOUT_MS: "5000",
        ...env
      })
    )
  )

const atWallClock = TestClock.setTime(Date.now())

const submit = (userId: UserId, amount = "1.00") =>
  Effect.flatMap(PayoutIntake, (intake) =>
    intake.submit({ actor: { userId, role: "user" }, body: { userId, amount }, idempotencyKey: null })
  )

const endpointOf = (userId: UserId, name = userId as string) =>
  Effect.flatMap(WebhookEndpoints, (w) =>
    w.create({ userId, role: "user" }, userId, { url: `https://hooks.example.com/${name}`, events: ["*"] })
  )

const deliveriesOf = (endpoint: WebhookEndpoint) =>
  Effect.flatMap(WebhookStore, (s) => s.listDeliveries(endpoint.id, { limit: 100 }))

const onlyOne = (ds: ReadonlyArray<WebhookDelivery>) => {
  expect(ds).toHaveLength(1)
  return ds[0] as WebhookDelivery
}

/** Lets forked fibers run until `done` holds (bounded). */
const until = (done: () => boolean) =>
  Effect.gen(function* () {
    for (let i = 0; i < 1000 && !done(); i++) yield* Effect.yieldNow()
    expect(done()).toBe(true)
  })

describe("Webhook delivery: regressions found by review", () => {
  it.effect(
    "one merchant's hanging endpoint holds one slot: another merchant's due deliveries go out through the free one",
    () =>
      Effect.gen(function* () {
        const receiver = yield* routedSender((url) => (url.endsWith("/slow") ? "hang" : 200))
        yield* Effect.gen(function* () {
          yield* atWallClock
          const alice = yield* createUser(10_000, "hol")
          const bob = yield* createUser(10_000, "hol")
          yield* endpointOf(alice, "slow")
          const bobs = yield* endpointOf(bob, "fast")
          yield* submit(alice)
          yield* TestClock.adjust(1)
          yield* submit(bob)
          yield* TestClock.adjust(1)
          yield* submit(bob)
          yield* TestClock.adjust(1)
          const dispatch = yield* WebhookDispatch
          yield* dispatch.fanOutOnce
          // what WebhookLoop runs: the standing pool
          const loop = yield* Effect.fork(dispatch.pool)
          yield* until(() => receiver.requests.length >= 2)
          yield* TestClock.adjust(1_000) // bob's first is answered at once: a slot has been free for 1 s
          const toBob = receiver.requests.filter((r) => r.url === bobs.url).length
          yield* TestClock.adjust(10_000)
          yield* Fiber.interrupt(loop)
          // Bob's second delivery was due all along; it waits for alice's request to time out
          expect(toBob, "bob's deliveries sent within 1 s").toBe(2)
        }).pipe(Effect.provide(layerWith(receiver.layer, { WEBHOOK_CONCURRENCY: "2" })))
      })
  )

  it.effect("a manual retry accepted while an attempt is in flight makes it due again after that attempt", () =>
    Effect.gen(function* () {
      const receiver = yield* routedSender(() => "gate")
      yield* Effect.gen(function* () {
        yield* atWallClock
        const userId = yield* createUser(10_000, "rt")
        const owner = { userId, role: "user" } as const
        const endpoint = yield* endpointOf(userId)
        yield* submit(userId)
        const dispatch = yield* WebhookDispatch
        yield* dispatch.fanOutOnce
        const inFlight = yield* Effect.fork(dispatch.dispatchOnce)
        yield* until(() => receiver.requests.length === 1)
        const eventId = onlyOne(yield* deliveriesOf(endpoint)).event.eventId
        // the merchant fixed its server and asks for a resend: 202, "due again at once"
        const accepted = yield* Effect.flatMap(WebhookEndpoints, (w) => w.retry(owner, endpoint.id, eventId))
        expect(accepted.state._tag).toBe("pending")
        yield* receiver.open(500) // the attempt that was already in flight fails (its last one)
        yield* Fiber.join(inFlight)
        // it is due again right after that attempt, although that one was its last
        expect(onlyOne(yield* deliveriesOf(endpoint)).state._tag).toBe("pending")
        yield* receiver.open(204)
        yield* TestClock.adjust(1)
        const attemptedAfterRetry = yield* dispatch.dispatchOnce
        const d = onlyOne(yield* deliveriesOf(endpoint))
        expect({ state: d.state._tag, attemptedAfterRetry }).toEqual({ state: "delivered", attemptedAfterRetry: 1 })
      }).pipe(Effect.provide(layerWith(receiver.layer, { WEBHOOK_MAX_ATTEMPTS: "1" })))
    })
  )

  it.effect("a second rotation within 24 h keeps signing with the first old secret too", () =>
    Effect.gen(function* () {
      const receiver = yield* routedSender(() => 200)
      yield* Effect.gen(function* () {
        yield* atWallClock
        const userId = yield* createUser(10_000, "rot")
        const owner = { userId, role: "user" } as const
        const endpoint = yield* endpointOf(userId)
        const w = yield* WebhookEndpoints
        // e.g. the first rotation's answer was lost on the way and the client asked again
        yield* w.rotateSecret(owner, endpoint.id)
        yield* TestClock.adjust(1_000)
        yield* w.rotateSecret(owner, endpoint.id)
        yield* submit(userId)
        const dispatch = yield* WebhookDispatch
        yield* dispatch.fanOutOnce
        yield* dispatch.dispatchOnce
        const [request] = receiver.requests
        if (request === undefined) return yield* Effect.dieMessage("no request")
        // the receiver still holds the original secret, rotated out 1 s ago ("keeps signing for 24 h")
        expect(() => new Webhook(endpoint.secret).verify(request.body, { ...request.headers })).not.toThrow()
      }).pipe(Effect.provide(layerWith(receiver.layer)))
    })
  )

  it.effect("two concurrent rotations: each caller is handed a secret that signs", () =>
    Effect.gen(function* () {
      const receiver = yield* routedSender(() => 200)
      // a real store's reads are asynchronous: let the two requests interleave as they would on Mongo
      const store = memoryStore((s) => ({
        ...s,
        getEndpoint: (id) => Effect.zipLeft(s.getEndpoint(id), Effect.yieldNow())
      }))
      yield* Effect.gen(function* () {
        yield* atWallClock
        const userId = yield* createUser(10_000, "rot")
        const owner = { userId, role: "user" } as const
        const endpoint = yield* endpointOf(userId)
        const w = yield* WebhookEndpoints
        const [a, b] = yield* Effect.all([w.rotateSecret(owner, endpoint.id), w.rotateSecret(owner, endpoint.id)], {
          concurrency: 2
        })
        const final = Option.getOrThrow(yield* Effect.flatMap(WebhookStore, (s) => s.getEndpoint(endpoint.id)))
        const signing = [final.secret, ...final.retiredSecrets.map((r) => r.secret)]
        expect(signing).toContain(a.secret)
        expect(signing).toContain(b.secret)
      }).pipe(Effect.provide(layerWith(receiver.layer, {}, store)))
    })
  )

  it.effect("a URL whose encoded form is longer than 2048 characters is refused when saved, not on every send", () =>
    Effect.gen(function* () {
      const check = yield* WebhookUrlCheck
      // 1 500 characters as sent; each é is stored as %C3%A9
      const url = `https://93.184.216.34/${"é".repeat(1_470)}`
      expect(url.length).toBeLessThanOrEqual(2048)
      const refused = yield* Effect.flip(check(url))
      expect(refused.details).toEqual([{ field: "url", message: "url must be at most 2048 characters, encoded" }])
      const port = yield* Effect.flip(check("https://93.184.216.34:22/"))
      expect(port.details).toEqual([{ field: "url", message: "url port must be 443, 80 or 8443" }])
    }).pipe(Effect.provide(UrlCheck), Effect.provide(settings()))
  )

  it.effect("retry delays never exceed WEBHOOK_RETRY_MAX_DELAY_MS, jitter included", () =>
    Effect.gen(function* () {
      const options = { baseMs: 5_000, maxDelayMs: 10 * 60 * 60 * 1000, maxAttempts: 11 }
      let longest = 0
      for (let i = 0; i < 200; i++) {
        const d = yield* retryDelay(options, 10)
        longest = Math.max(longest, Option.match(d, { onNone: () => 0, onSome: Duration.toMillis }))
      }
      expect(longest).toBeLessThanOrEqual(options.maxDelayMs)
    })
  )

  it.effect(
    "a store error recording one delivery's attempt is its own: the others are recorded, and it is retried",
    () =>
      Effect.gen(function* () {
        const receiver = yield* routedSender((url) => (url.endsWith("/gated") ? "gate" : 200))
        let failNext = true
        const store = memoryStore((s) => ({
          ...s,
          // decided when run, as a driver call is: a retry of the same effect reaches the store again
          recordAttempt: (r) =>
            Effect.suspend(() => {
              if (!failNext) return s.recordAttempt(r)
              failNext = false
              return Effect.fail(new ServiceUnavailable({ dependency: "mongo", reason: "blip" }))
            })
        }))
        yield* Effect.gen(function* () {
          yield* atWallClock
          const alice = yield* createUser(10_000, "blip")
          const bob = yield* createUser(10_000, "blip")
          yield* endpointOf(alice, "gated")
          yield* endpointOf(bob, "quick")
          yield* submit(alice)
          yield* TestClock.adjust(1)
          yield* submit(bob)
          yield* TestClock.adjust(1)
          const dispatch = yield* WebhookDispatch
          yield* dispatch.fanOutOnce
          // bob's attempt answers at once and its record hits the blip; alice's request is on the wire
          const running = yield* Effect.fork(Effect.either(dispatch.dispatchOnce))
          yield* until(() => receiver.requests.length === 2)
          for (let i = 0; i < 100; i++) yield* Effect.yieldNow()
          yield* receiver.open(200) // alice's receiver takes the event and answers 200
          yield* TestClock.adjust(1_000) // bob's record is retried after the blip
          expect((yield* Fiber.join(running))._tag).toBe("Right") // one delivery's store error is not the pass's
          const [alices] = yield* Effect.flatMap(WebhookEndpoints, (w) =>
            w.list({ userId: alice, role: "user" }, alice)
          )
          if (alices === undefined) return yield* Effect.dieMessage("no endpoint")
          const d = onlyOne(yield* deliveriesOf(alices))
          // alice's 200 is recorded, and so is bob's once the store answers again
          expect({ state: d.state._tag, attempts: d.attempts.length, leased: d.lease !== undefined }).toEqual({
            state: "delivered",
            attempts: 1,
            leased: false
          })
          const [bobs] = yield* Effect.flatMap(WebhookEndpoints, (w) => w.list({ userId: bob, role: "user" }, bob))
          if (bobs === undefined) return yield* Effect.dieMessage("no endpoint")
          expect(onlyOne(yield* deliveriesOf(bobs)).state._tag).toBe("delivered")
        }).pipe(Effect.provide(layerWith(receiver.layer, { WEBHOOK_CONCURRENCY: "2" }, store)))
      })
  )

  it.effect("a 410 from the old URL does not disable an endpoint its owner has moved to a new URL", () =>
    Effect.gen(function* () {
      const receiver = yield* routedSender(() => "gate")
      yield* Effect.gen(function* () {
        yield* atWallClock
        const userId = yield* createUser(10_000, "gone")
        const owner = { userId, role: "user" } as const
        const endpoint = yield* endpointOf(userId, "old")
        yield* submit(userId)
        const dispatch = yield* WebhookDispatch
        yield* dispatch.fanOutOnce
        const inFlight = yield* Effect.fork(dispatch.dispatchOnce)
        yield* until(() => receiver.requests.length === 1)
        // the merchant retired the old server and points the endpoint at the new one
        const w = yield* WebhookEndpoints
        yield* w.change(owner, endpoint.id, { url: "https://hooks.example.com/new" })
        yield* receiver.open(410) // the old server, on its way out, answers the request already sent to it
        yield* Fiber.join(inFlight)
        const now = yield* w.get(owner, endpoint.id)
        expect({ url: now.url, status: now.status }).toEqual({
          url: "https://hooks.example.com/new",
          status: "enabled"
        })
      }).pipe(Effect.provide(layerWith(receiver.layer)))
    })
  )
})
