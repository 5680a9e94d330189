import { Context, Effect, Layer, Ref } from "effect"
import { EventBus } from "../../src/ports/EventBus.js"
import { EventLog } from "../../src/ports/EventLog.js"
import { PayoutQueue } from "../../src/ports/PayoutQueue.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { SettlementRail } from "../../src/ports/SettlementRail.js"

/** Counts port calls that took effect and interrupts the caller right after the armed one: a crash. */
export class Crash extends Context.Tag("test/Crash")<
  Crash,
  { readonly armAt: (n: number | null) => Effect.Effect<void>; readonly tick: Effect.Effect<void> }
>() {
  static readonly layer = Layer.effect(
    Crash,
    Effect.map(Ref.make<number | null>(null), (left) => ({
      armAt: (n) => Ref.set(left, n),
      tick: Effect.flatMap(
        Ref.modify(left, (n) => (n === null ? [false, null] : n <= 1 ? [true, null] : [false, n - 1])),
        (now) => (now ? Effect.interrupt : Effect.void)
      )
    }))
  )
}

/** Runs the call, then lets the crash happen after it, whatever its outcome. */
const step =
  (tick: Effect.Effect<void>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    effect.pipe(
      Effect.exit,
      Effect.tap(() => tick),
      Effect.flatten
    )

/** The ports again, every state-changing call a possible crash point. */
export const crashablePorts = Layer.effectContext(
  Effect.gen(function* () {
    const { tick } = yield* Crash
    const s = step(tick)
    const store = yield* PayoutStore
    const bus = yield* EventBus
    const queue = yield* PayoutQueue
    const rail = yield* SettlementRail
    return Context.empty().pipe(
      Context.add(PayoutStore, {
        ...store,
        reserve: (p, t) => s(store.reserve(p, t)),
        startProcessing: (id, n, l) => s(store.startProcessing(id, n, l)),
        renewLease: (a, ms) => s(store.renewLease(a, ms)),
        deferAttempt: (a, at) => s(store.deferAttempt(a, at)),
        settle: (a) => s(store.settle(a)),
        release: (a, r) => s(store.release(a, r)),
        claimStuck: (idle, limit) => s(store.claimStuck(idle, limit)),
        markUnqueued: (id) => s(store.markUnqueued(id))
      }),
      Context.add(EventBus, { ...bus, publish: (e) => s(bus.publish(e)) }),
      Context.add(PayoutQueue, {
        ...queue,
        publish: (m) => s(queue.publish(m)),
        publishDelayed: (m, d) => s(queue.publishDelayed(m, d))
      }),
      Context.add(SettlementRail, { pay: (r) => s(rail.pay(r)) }),
      Context.add(EventLog, yield* EventLog)
    )
  })
)
