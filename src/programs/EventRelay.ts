import { Clock, Config, Context, Effect, Layer, Metric, Schedule } from "effect"
import type { ServiceUnavailable } from "../domain/index.js"
import { EventBus } from "../ports/EventBus.js"
import { EventLog, type StoredEvent } from "../ports/EventLog.js"
import { Settings } from "../settings.js"
import { eventLag } from "./metrics.js"
import { forkPasses } from "./passLoop.js"

const BATCH = 500
const busLag = Metric.tagged(eventLag, "sink", "bus")
const PRUNE_EVERY_MS = 60_000

export interface EventRelayShape {
  /**
   * Publishes, oldest first, every recorded event the bus has not been handed
   * that is older than RELAY_INTERVAL_MS (younger ones are the fast path's), and
   * marks them; stops at the first publish that fails. Returns how many it published.
   */
  readonly runOnce: Effect.Effect<number, ServiceUnavailable>
  /** Drops events older than EVENT_RETENTION_MS that every sink has; returns how many. */
  readonly pruneOnce: Effect.Effect<number, ServiceUnavailable>
}

/** A user's events in sequence order, users in the order their first event came. */
const inUserOrder = (events: ReadonlyArray<StoredEvent>): ReadonlyArray<StoredEvent> => {
  const rank = new Map<string, number>()
  for (const e of events) if (!rank.has(e.event.userId)) rank.set(e.event.userId, rank.size)
  return [...events].sort(
    (a, b) => (rank.get(a.event.userId) ?? 0) - (rank.get(b.event.userId) ?? 0) || a.sequence - b.sequence
  )
}

const make = Effect.gen(function* () {
  const log = yield* EventLog
  const bus = yield* EventBus
  const { graceMs, retentionMs } = yield* Config.all({
    graceMs: Settings.relayIntervalMs,
    retentionMs: Settings.eventRetentionMs
  })

  const publishAll = (events: ReadonlyArray<StoredEvent>) =>
    Effect.gen(function* () {
      const sent: Array<string> = []
      for (const { event } of inUserOrder(events)) {
        const ok = yield* bus.publish(event).pipe(
          Effect.as(true),
          Effect.catchAll((e) => Effect.as(Effect.logWarning("relay: publish failed, next pass tries again", e), false))
        )
        if (!ok) break
        sent.push(event.eventId)
      }
      yield* log.markDelivered("bus", sent)
      return sent.length
    })

  const runOnce = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const recordedBefore = now - graceMs
    let total = 0
    for (;;) {
      const due = yield* log.pending("bus", { recordedBefore, limit: BATCH })
      if (total === 0) yield* Metric.set(busLag, due[0] === undefined ? 0 : (now - due[0].recordedAt) / 1000)
      if (due.length === 0) break
      const sent = yield* publishAll(due)
      total += sent
      if (sent < due.length || due.length < BATCH) break
    }
    if (total > 0) yield* Effect.logInfo("relay published events the fast path missed", { count: total })
    return total
  })

  const pruneOnce = Effect.flatMap(Clock.currentTimeMillis, (now) => log.prune(now - retentionMs))

  return { runOnce, pruneOnce } satisfies EventRelayShape
})

/**
 * The outbox's safety net: a lost publish (the bus down, a process killed
 * between the commit and the publish) is delivered late, never missed.
 * At-least-once: consumers drop repeats by (userId, sequence).
 */
export class EventRelay extends Context.Tag("swiftpay/EventRelay")<EventRelay, EventRelayShape>() {
  static readonly layer = Layer.effect(EventRelay, make)
}

/** The relay every RELAY_INTERVAL_MS and the prune every minute, for the life of the layer. */
export const EventRelayLoop = Layer.scopedDiscard(
  Effect.gen(function* () {
    const relay = yield* EventRelay
    const every = yield* Config.map(Settings.relayIntervalMs, (ms) => Schedule.spaced(`${ms} millis`))
    yield* forkPasses(relay.runOnce, "event relay pass", every)
    yield* forkPasses(relay.pruneOnce, "event prune", Schedule.spaced(`${PRUNE_EVERY_MS} millis`))
  })
)
