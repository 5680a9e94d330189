import { randomUUID } from "node:crypto"
import { Cause, Clock, Context, Duration, Effect, Layer, Option } from "effect"
import { UserId } from "../domain/index.js"
import { EventBus } from "../ports/EventBus.js"
import { PayoutQueue } from "../ports/PayoutQueue.js"
import { PayoutStore } from "../ports/PayoutStore.js"
import { RateLimiter } from "../ports/RateLimiter.js"
import { UserLock } from "../ports/UserLock.js"

/** One dependency probe: succeeds when the dependency answers. */
export type Probe = Effect.Effect<unknown, unknown>

export interface DependencyStatus {
  readonly status: "up" | "down"
  readonly latencyMs: number
  readonly error?: string
}

/**
 * The named dependency checks behind /api/health/detailed and /ready. Each
 * runtime lists its own (embedded: memory ports; gateway: MongoDB, Redis,
 * RabbitMQ), so the health endpoints know nothing about infrastructure.
 */
export class HealthChecks extends Context.Tag("swiftpay/HealthChecks")<
  HealthChecks,
  {
    readonly names: ReadonlyArray<string>
    /** Runs every probe at once, each bounded by a timeout. */
    readonly run: Effect.Effect<Readonly<Record<string, DependencyStatus>>>
  }
>() {
  /** Probes that may need services: they are resolved once, when the layer is built. */
  static readonly layer = <const P extends Readonly<Record<string, Effect.Effect<unknown, unknown, unknown>>>>(
    probes: P,
    options: { readonly timeout?: Duration.DurationInput } = {}
  ): Layer.Layer<HealthChecks, never, Effect.Effect.Context<P[keyof P]>> =>
    Layer.effect(
      HealthChecks,
      Effect.map(Effect.context<Effect.Effect.Context<P[keyof P]>>(), (context) => {
        const timeout = options.timeout ?? Duration.seconds(2)
        // The layer's requirement is the union of every probe's context: `context` covers each of them.
        const provided = Object.entries(probes).map(
          ([name, probe]) => [name, Effect.provide(probe, context) as Probe] as const
        )
        const run = Effect.forEach(
          provided,
          ([name, probe]) => Effect.map(measure(probe, timeout), (status) => [name, status] as const),
          { concurrency: "unbounded" }
        ).pipe(Effect.map(Object.fromEntries))
        return { names: Object.keys(probes), run }
      })
    )
}

class TimedOut {
  readonly _tag = "TimedOut"
}

/** Probe failures are reported coarsely: their text may carry driver details. */
const measure = (probe: Probe, timeout: Duration.DurationInput): Effect.Effect<DependencyStatus> =>
  Effect.gen(function* () {
    const start = yield* Clock.currentTimeNanos
    const result = yield* probe.pipe(
      Effect.timeoutFail({ duration: timeout, onTimeout: () => new TimedOut() }),
      Effect.sandbox,
      Effect.either
    )
    const latencyMs = Math.round(Number((yield* Clock.currentTimeNanos) - start) / 1e4) / 100
    if (result._tag === "Right") return { status: "up", latencyMs }
    const timedOut = Option.exists(Cause.failureOption(result.left), (e) => e instanceof TimedOut)
    return { status: "down", latencyMs, error: timedOut ? "timed out" : "unavailable" }
  })

const PROBE_USER = UserId.make("__health_probe__")

/** Probes through the ports, so they work on every layer of them. */
export const portProbes = {
  store: Effect.flatMap(PayoutStore, (store) => store.ping),
  queue: Effect.flatMap(PayoutQueue, (queue) => queue.stats),
  /** Takes and gives back a short lease on a user nobody is. */
  lock: Effect.flatMap(UserLock, (lock) =>
    Effect.flatMap(Effect.sync(randomUUID), (token) =>
      Effect.zipRight(lock.tryAcquire(PROBE_USER, token, 5_000), lock.release(PROBE_USER, token))
    )
  ),
  rateLimiter: Effect.flatMap(RateLimiter, (limiter) => limiter.hit("rl:health:probe", 1_000_000, 60_000)),
  eventBus: Effect.flatMap(EventBus, (bus) => Effect.scoped(bus.subscribe))
}
