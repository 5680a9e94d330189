import { ConfigProvider, Effect, Layer, TestClock } from "effect"
import { isOpen, minor, type TransactionId, UserId } from "../../src/domain/index.js"
import * as MemoryEventBus from "../../src/ports/memory/eventBus.js"
import * as MemoryQueue from "../../src/ports/memory/payoutQueue.js"
import * as MemoryStore from "../../src/ports/memory/payoutStore.js"
import * as MemoryRateLimiter from "../../src/ports/memory/rateLimiter.js"
import type * as SimulatedRail from "../../src/ports/memory/settlementRail.js"
import * as MemoryLock from "../../src/ports/memory/userLock.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { Accounts } from "../../src/programs/Accounts.js"
import { PayoutIntake } from "../../src/programs/PayoutIntake.js"
import { PayoutSettlement } from "../../src/programs/PayoutSettlement.js"
import { Recovery } from "../../src/programs/Recovery.js"
import { leaseSettings } from "../../src/settings.js"
import { simulatedRail } from "../memory.js"

export const settings = (overrides: Record<string, string> = {}) =>
  Layer.setConfigProvider(
    ConfigProvider.fromJson({
      USER_RATE_LIMIT_MAX_REQUESTS: "1000000",
      LOCK_RETRY_DELAY_MS: "1",
      LOCK_RETRY_COUNT: "100000",
      MAX_RETRY_ATTEMPTS: "3",
      RETRY_DELAY_MS: "1000",
      RECOVERY_IDLE_MS: "60000",
      ...overrides
    })
  )

export const infra = (rail: SimulatedRail.SimulatedRailOptions = { processingDelayMs: 0, failureRate: 0 }) =>
  Layer.mergeAll(
    MemoryStore.layer,
    MemoryLock.layerConfig(leaseSettings),
    MemoryRateLimiter.layer,
    MemoryEventBus.layer,
    MemoryQueue.layer({ redeliveryDelayMs: 1_000, maxDeliveries: 5 }),
    simulatedRail(rail)
  )

export const programs = Layer.mergeAll(PayoutIntake.layer, PayoutSettlement.layer, Recovery.layer, Accounts.layer)

/** Programs on in-memory ports; `wrap` may decorate the ports (to inject crashes) before the programs see them. */
export const testLayer = (
  options: { readonly env?: Record<string, string>; readonly rail?: SimulatedRail.SimulatedRailOptions } = {}
) => programs.pipe(Layer.provideMerge(infra(options.rail)), Layer.provide(settings(options.env)))

let n = 0
export const createUser = (cents: number, prefix = "user") =>
  Effect.gen(function* () {
    const store = yield* PayoutStore
    const userId = UserId.make(`${prefix}_${n++}`)
    yield* store.createUser({ userId, name: "T", email: null, currency: "USD", status: "active" })
    if (cents > 0) yield* store.credit({ userId, amount: minor(cents), currency: "USD" }, null)
    return userId
  })

export const usd = (userId: UserId) =>
  Effect.flatMap(PayoutStore, (s) => s.accounts(userId)).pipe(
    Effect.map((accounts) => {
      const a = accounts.find((x) => x.currency === "USD")
      if (!a) throw new Error(`no USD account for ${userId}`)
      return a
    })
  )

/** Moves the test clock until every given payout is final (bounded). */
export const driveUntilFinal = (ids: ReadonlyArray<TransactionId>, stepMs = 1_000, maxSteps = 600) =>
  Effect.gen(function* () {
    const store = yield* PayoutStore
    for (let i = 0; i < maxSteps; i++) {
      const open = yield* Effect.filter(ids, (id) =>
        Effect.map(store.getTransaction(id), (t) => t._tag === "Some" && isOpen(t.value))
      )
      if (open.length === 0) return
      yield* TestClock.adjust(stepMs)
    }
    return yield* Effect.dieMessage(`payouts still open after ${maxSteps} steps`)
  })
