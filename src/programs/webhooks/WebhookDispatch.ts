import { randomUUID } from "node:crypto"
import { Clock, Config, Context, Duration, Effect, FiberSet, Layer, Metric, Option, Queue, Ref, Schedule } from "effect"
import {
  type DeliveryAttempt,
  type DeliveryState,
  newDelivery,
  type ServiceUnavailable,
  signingSecrets,
  type WebhookDelivery,
  type WebhookEndpoint,
  wants
} from "../../domain/index.js"
import { EventLog, type StoredEvent } from "../../ports/EventLog.js"
import { WebhookSendError, WebhookSender } from "../../ports/WebhookSender.js"
import { WebhookStore } from "../../ports/WebhookStore.js"
import { Settings, webhookRetrySettings } from "../../settings.js"
import { eventLag, webhookAttempts, webhookDeliveries, webhookLatency } from "../metrics.js"
import { forkPasses } from "../passLoop.js"
import { signedMessage } from "./message.js"
import { retryDelay } from "./retrySchedule.js"

const FAN_OUT_BATCH = 500
const webhooksLag = Metric.tagged(eventLag, "sink", "webhooks")
/** A lease outlives the attempt it covers by this much, so it never runs out mid-request. */
const LEASE_MARGIN_MS = 5_000

export interface WebhookDispatchShape {
  /** Turns recorded events into deliveries for the endpoints that want them; returns how many events it handled. */
  readonly fanOutOnce: Effect.Effect<number, ServiceUnavailable>
  /** Drops finished deliveries older than EVENT_RETENTION_MS, as the event log drops its events; returns how many. */
  readonly pruneOnce: Effect.Effect<number, ServiceUnavailable>
  /** Leases due deliveries and makes one attempt at each; returns how many it attempted. */
  readonly dispatchOnce: Effect.Effect<number, ServiceUnavailable>
  /**
   * The worker's standing pool of WEBHOOK_CONCURRENCY slots: a delivery is
   * claimed as soon as a slot is free, so a slow receiver holds one slot, never
   * the others' deliveries. Runs until interrupted.
   */
  readonly pool: Effect.Effect<never>
}

type Outcome = { readonly label: "delivered" | "retry" | "failed" | "gone"; readonly next: DeliveryState }

const make = Effect.gen(function* () {
  const log = yield* EventLog
  const store = yield* WebhookStore
  const sender = yield* WebhookSender
  const retry = yield* webhookRetrySettings
  const { timeoutMs, concurrency, interval, retentionMs } = yield* Config.all({
    timeoutMs: Settings.webhookTimeoutMs,
    concurrency: Settings.webhookConcurrency,
    interval: Settings.webhookPollIntervalMs,
    retentionMs: Settings.eventRetentionMs
  })
  const owner = `dispatch-${randomUUID()}`

  const deliveriesFor = (events: ReadonlyArray<StoredEvent>, now: number) =>
    Effect.gen(function* () {
      const users = [...new Set(events.map((e) => e.event.userId))]
      const endpoints = new Map<string, ReadonlyArray<WebhookEndpoint>>()
      for (const userId of users) endpoints.set(userId, yield* store.listEndpoints(userId))
      return events.flatMap(({ event, recordedAt }) =>
        (endpoints.get(event.userId) ?? [])
          .filter((e) => wants(e, event, recordedAt))
          .map((e) => newDelivery(e, event, now))
      )
    })

  // enqueue before the mark: a crash between them repeats the enqueue, which adds nothing twice
  const fanOutOnce = Effect.gen(function* () {
    let total = 0
    for (;;) {
      const now = yield* Clock.currentTimeMillis
      const events = yield* log.pending("webhooks", { recordedBefore: now, limit: FAN_OUT_BATCH })
      // the first batch starts with the oldest event not handed over: how far behind the fan-out is
      if (total === 0) yield* Metric.set(webhooksLag, events[0] === undefined ? 0 : (now - events[0].recordedAt) / 1000)
      if (events.length === 0) break
      yield* store.enqueue(yield* deliveriesFor(events, now))
      yield* log.markDelivered(
        "webhooks",
        events.map((e) => e.event.eventId)
      )
      total += events.length
      if (events.length < FAN_OUT_BATCH) break
    }
    return total
  })

  const afterFailure = (number: number, what: string, now: number) =>
    Effect.map(
      retryDelay(retry, number),
      Option.match({
        onNone: (): Outcome => ({
          label: "failed",
          next: { _tag: "failed", failedAt: now, reason: `gave up after ${number} attempts; last: ${what}` }
        }),
        onSome: (delay): Outcome => ({
          label: "retry",
          next: { _tag: "pending", nextAttemptAt: now + Math.round(Duration.toMillis(delay)) }
        })
      })
    )

  /** One POST; the outcome decides the delivery's next state. */
  const attempt = (delivery: WebhookDelivery, endpoint: WebhookEndpoint) =>
    Effect.gen(function* () {
      const number = delivery.attempts.length + 1
      const start = yield* Clock.currentTimeMillis
      const message = signedMessage(delivery.event, signingSecrets(endpoint, start), start)
      const answer = yield* sender.send({ url: endpoint.url, ...message }).pipe(
        Effect.timeoutFail({
          duration: Duration.millis(timeoutMs),
          onTimeout: () => new WebhookSendError({ reason: "timeout", message: `no answer in ${timeoutMs} ms` })
        }),
        Effect.either
      )
      const end = yield* Clock.currentTimeMillis
      const durationMs = end - start
      yield* Metric.update(webhookLatency, Duration.millis(durationMs))
      const status = answer._tag === "Right" ? answer.right.status : undefined
      const what = status !== undefined ? `HTTP ${status}` : answer._tag === "Left" ? answer.left.message : ""
      const outcome: Outcome =
        status !== undefined && status >= 200 && status < 300
          ? { label: "delivered", next: { _tag: "delivered", deliveredAt: end } }
          : status === 410
            ? {
                label: "gone",
                next: { _tag: "failed", failedAt: end, reason: "HTTP 410 Gone: the endpoint is disabled" }
              }
            : yield* afterFailure(number, what, end)
      const record: DeliveryAttempt = {
        attempt: number,
        at: start,
        durationMs,
        ...(status === undefined ? { error: what } : { httpStatus: status }),
        ...(outcome.next._tag === "pending" ? { nextAttemptAt: outcome.next.nextAttemptAt } : {})
      }
      return { record, outcome }
    })

  /** An endpoint disabled or deleted since the fan-out: nothing is sent, and the delivery says why. */
  const notSent = (delivery: WebhookDelivery, why: string, now: number) => ({
    record: { attempt: delivery.attempts.length + 1, at: now, durationMs: 0, error: `not sent: ${why}` },
    outcome: { label: "failed", next: { _tag: "failed", failedAt: now, reason: `not sent: ${why}` } } as Outcome
  })

  /** A store blip must not lose an attempt's outcome: a few retries, then the lease runs out and it is made again. */
  const recordWithRetries = (record: Parameters<typeof store.recordAttempt>[0]) =>
    store
      .recordAttempt(record)
      .pipe(Effect.retry(Schedule.exponential(Duration.millis(100)).pipe(Schedule.intersect(Schedule.recurs(3)))))

  const deliverOne = (delivery: WebhookDelivery) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const endpoint = yield* store.getEndpoint(delivery.endpointId)
      const { record, outcome } = Option.isNone(endpoint)
        ? notSent(delivery, "the endpoint was deleted", now)
        : endpoint.value.status !== "enabled"
          ? notSent(delivery, "the endpoint is disabled", now)
          : yield* attempt(delivery, endpoint.value)
      const written = yield* recordWithRetries({
        deliveryId: delivery.id,
        owner,
        attempt: record,
        next: outcome.next
      })
      if (!written) {
        return yield* Effect.logWarning("webhook attempt not recorded: the lease ran out first", {
          deliveryId: delivery.id
        })
      }
      yield* Metric.increment(Metric.tagged(webhookAttempts, "outcome", outcome.label))
      if (outcome.next._tag !== "pending") {
        yield* Metric.increment(Metric.tagged(webhookDeliveries, "status", outcome.next._tag))
      }
      if (outcome.label === "gone" && Option.isSome(endpoint)) {
        // only the URL that answered: an owner who moved the endpoint meanwhile keeps it enabled
        const disabled = yield* store.updateEndpoint(
          delivery.endpointId,
          { status: "disabled", disabledReason: "The endpoint answered 410 Gone" },
          yield* Clock.currentTimeMillis,
          { url: endpoint.value.url }
        )
        if (Option.isSome(disabled)) {
          yield* Effect.logWarning("webhook endpoint answered 410 Gone: disabled", { endpointId: delivery.endpointId })
        }
      }
    }).pipe(Effect.annotateLogs({ deliveryId: delivery.id }))

  /** One delivery's failure (its store write, a defect) is its own: logged, never the others'. */
  const deliverAlone = (delivery: WebhookDelivery) =>
    deliverOne(delivery).pipe(
      Effect.catchAllCause((cause) =>
        Effect.logWarning("webhook attempt not recorded; tried again once its lease runs out", cause).pipe(
          Effect.annotateLogs({ deliveryId: delivery.id })
        )
      )
    )

  const claim = (limit: number) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      store.claimDue({ now, owner, leaseMs: timeoutMs + LEASE_MARGIN_MS, limit })
    )

  const pool = Effect.gen(function* () {
    const slots = yield* Ref.make(concurrency)
    const freed = yield* Queue.sliding<void>(1)
    const running = yield* FiberSet.make()
    for (;;) {
      const free = yield* Ref.get(slots)
      if (free === 0) {
        yield* Queue.take(freed)
        continue
      }
      const claimed = yield* claim(free).pipe(
        Effect.catchAll((e) => Effect.as(Effect.logWarning("webhook claim failed", e), []))
      )
      for (const delivery of claimed) {
        yield* Ref.update(slots, (n) => n - 1)
        yield* FiberSet.run(
          running,
          deliverAlone(delivery).pipe(
            Effect.ensuring(
              Effect.zipRight(
                Ref.update(slots, (n) => n + 1),
                Queue.offer(freed, undefined)
              )
            )
          )
        )
      }
      // fewer than asked for: nothing else is due now; look again after the interval
      if (claimed.length < free) yield* Effect.sleep(Duration.millis(interval))
    }
  }).pipe(
    Effect.scoped,
    Effect.catchAllCause((cause) => Effect.logError("webhook pool died", cause)),
    Effect.forever
  )

  const dispatchOnce = Effect.gen(function* () {
    const claimed = yield* claim(concurrency)
    yield* Effect.forEach(claimed, deliverAlone, { concurrency, discard: true })
    return claimed.length
  })

  const pruneOnce = Effect.flatMap(Clock.currentTimeMillis, (now) => store.pruneDeliveries(now - retentionMs))

  return { fanOutOnce, dispatchOnce, pool, pruneOnce } satisfies WebhookDispatchShape
})

/**
 * Webhook delivery on the worker: the fan-out reads the event log's
 * "webhooks" sink, and attempts are leased so two workers never make the same one.
 */
export class WebhookDispatch extends Context.Tag("swiftpay/WebhookDispatch")<WebhookDispatch, WebhookDispatchShape>() {
  static readonly layer = Layer.effect(WebhookDispatch, make)
}

/** The fan-out every WEBHOOK_POLL_INTERVAL_MS, and attempts as they fall due, for the life of the layer. */
export const WebhookLoop = Layer.scopedDiscard(
  Effect.gen(function* () {
    const dispatch = yield* WebhookDispatch
    const interval = yield* Settings.webhookPollIntervalMs
    yield* forkPasses(dispatch.fanOutOnce, "webhook fan-out", Schedule.spaced(Duration.millis(interval)))
    yield* Effect.forkScoped(dispatch.pool)
    yield* dispatch.pruneOnce.pipe(
      Effect.catchAll((e) => Effect.logWarning("webhook delivery prune failed", e)),
      Effect.repeat(Schedule.spaced(Duration.minutes(1))),
      Effect.forkScoped
    )
  })
)
