import { it } from "@effect/vitest"
import { ConfigProvider, type Duration, Effect, Layer, TestClock, TestServices } from "effect"

/**
 * How a contract moves time. Memory layers run on the TestClock; layers whose
 * clock is outside the process (Redis TTLs, broker delays) run on real time.
 */
export interface TimeControl {
  readonly live: boolean
  readonly advance: (ms: number) => Effect.Effect<void>
}

export const testClock: TimeControl = { live: false, advance: (ms) => TestClock.adjust(ms) }
export const realClock: TimeControl = { live: true, advance: (ms) => Effect.sleep(ms) }

/** `it.scoped` on the TestClock, `it.scopedLive` on real time. */
export const scopedTest = (time: TimeControl) => (time.live ? it.scopedLive : it.scoped)

/** Waits for an event, failing after a real-time timeout whichever clock the test uses. */
export const within =
  (duration: Duration.DurationInput, what: string) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | Error, R> =>
    self.pipe(
      Effect.timeoutFail({ duration, onTimeout: () => new Error(`timed out waiting for ${what}`) }),
      TestServices.provideLive
    )

/** Builds `layer` with these settings over the environment (a contract pins the settings it reasons about). */
export const withSettings =
  (settings: Record<string, string>) =>
  <A, E, R>(layer: Layer.Layer<A, E, R>): Layer.Layer<A, E, R> =>
    Layer.provide(
      layer,
      Layer.setConfigProvider(
        ConfigProvider.fromMap(new Map(Object.entries(settings))).pipe(
          ConfigProvider.orElse(() => ConfigProvider.fromEnv())
        )
      )
    )

/** A fresh identifier, so contracts can run against shared infrastructure. */
export const unique = (prefix: string): string => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`

/**
 * Re-reads `read` until `ok` holds (for state settled by other fibers or by a
 * broker): yields between reads on the TestClock, polls every 20 ms on real time.
 */
export const eventually =
  (time: TimeControl, what: string) =>
  <A, E, R>(read: Effect.Effect<A, E, R>, ok: (a: A) => boolean): Effect.Effect<A, E | Error, R> =>
    Effect.gen(function* () {
      while (true) {
        const value = yield* read
        if (ok(value)) return value
        yield* time.live ? Effect.sleep("20 millis") : Effect.yieldNow()
      }
    }).pipe(within("5 seconds", what))
