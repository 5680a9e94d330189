import { Effect, Layer } from "effect"
import { ServiceUnavailable } from "../../src/domain/index.js"
import * as MemoryStore from "../../src/ports/memory/payoutStore.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import * as Embedded from "../../src/runtime/embedded.js"
import type { TestPorts } from "./harness.js"

/** `down` answers ServiceUnavailable, `die` throws a driver-like defect. */
export interface StoreSwitch {
  mode: "up" | "down" | "die"
}

const flakyStore = (control: StoreSwitch) =>
  Layer.effect(
    PayoutStore,
    Effect.gen(function* () {
      const inner = yield* PayoutStore
      const guard = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E | ServiceUnavailable> =>
        Effect.suspend((): Effect.Effect<A, E | ServiceUnavailable> => {
          if (control.mode === "down") return Effect.fail(new ServiceUnavailable({ dependency: "mongodb" }))
          if (control.mode === "die") {
            return Effect.die(new Error("MongoServerError: connection 7 to 10.0.0.3:27017 closed (secret=hunter2)"))
          }
          return effect
        })
      return PayoutStore.of({
        ...inner,
        getUser: (userId) => guard(inner.getUser(userId)),
        reserve: (payout, ticket) => guard(inner.reserve(payout, ticket)),
        getTransaction: (id) => guard(inner.getTransaction(id)),
        accounts: (userId) => guard(inner.accounts(userId)),
        ping: guard(inner.ping)
      })
    })
  ).pipe(Layer.provideMerge(MemoryStore.layer))

/** The memory ports with a store that the test can take down. */
export const flakyPorts = (control: StoreSwitch): TestPorts => Embedded.memoryPorts(flakyStore(control))
