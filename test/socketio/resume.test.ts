import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, PubSub } from "effect"
import { attemptOf, eventIdOf, minor, TransactionId, UserId } from "../../src/domain/index.js"
import { EventBus } from "../../src/ports/EventBus.js"
import { EventLog } from "../../src/ports/EventLog.js"
import * as MemoryEventBus from "../../src/ports/memory/eventBus.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { ask, connect, refusal, takeUntil } from "./client.js"
import { baseUrl, hubLayer, hubTest, publishAll, tokenFor } from "./harness.js"

let n = 0
const txn = () => TransactionId.make(`TXN_RESUME_${(n++).toString(16).toUpperCase().padStart(16, "0")}`)

/** A funded user with `payouts` settled payouts in the log (3 events each), none of them published. */
const userWithHistory = (userId: UserId, payouts: number) =>
  Effect.gen(function* () {
    const store = yield* PayoutStore
    yield* store.createUser({ userId, name: "R", email: null, currency: "USD", status: "active" })
    yield* store.credit({ userId, amount: minor(10_000), currency: "USD" }, null)
    for (let i = 0; i < payouts; i++) yield* payOnce(userId)
  })

const payOnce = (userId: UserId) =>
  Effect.gen(function* () {
    const store = yield* PayoutStore
    const { transaction } = yield* store.reserve(
      { transactionId: txn(), userId, amount: minor(100), currency: "USD", description: null, metadata: {} },
      null
    )
    const claim = yield* store.startProcessing(transaction.transactionId, 0, { owner: "w", ms: 10_000 })
    if (claim._tag !== "Claimed") return yield* Effect.dieMessage("not claimed")
    yield* store.settle(attemptOf(claim.transaction))
  })

const sequences = (frames: ReadonlyArray<{ readonly payload: unknown }>) =>
  frames.map((f) => (f.payload as { sequence?: number }).sequence).filter((s) => s !== undefined)

describe("WsHub resume (lastEventId)", () => {
  hubTest("replays the events after lastEventId in order, then goes live with no duplicate", () =>
    Effect.gen(function* () {
      const userId = UserId.make("resume_a")
      yield* userWithHistory(userId, 2)
      const client = yield* connect(yield* baseUrl, {
        token: yield* tokenFor(userId),
        lastEventId: eventIdOf(userId, 2)
      })
      const replayed = yield* takeUntil(client, (f) => (f.payload as { sequence?: number }).sequence === 6)
      expect(sequences(replayed)).toEqual([3, 4, 5, 6])
      // the bus delivers 5 and 6 again (a relay's repeat), then the next payout's events
      const log = yield* EventLog
      yield* publishAll((yield* log.read({ userId, after: 4, limit: 10 })).map((e) => e.event))
      yield* payOnce(userId)
      yield* publishAll((yield* log.read({ userId, after: 6, limit: 10 })).map((e) => e.event))
      const live = yield* takeUntil(client, (f) => (f.payload as { sequence?: number }).sequence === 9)
      expect(sequences(live)).toEqual([7, 8, 9])
    })
  )

  hubTest("the authenticate frame resumes too", () =>
    Effect.gen(function* () {
      const userId = UserId.make("resume_b")
      yield* userWithHistory(userId, 1)
      const client = yield* connect(yield* baseUrl)
      const reply = yield* ask(client, "authenticate", {
        userId,
        token: yield* tokenFor(userId),
        lastEventId: eventIdOf(userId, 1)
      })
      expect(reply.event).toBe("authenticated")
      const frames = yield* takeUntil(client, (f) => (f.payload as { sequence?: number }).sequence === 3)
      expect(sequences(frames)).toEqual([2, 3])
    })
  )

  hubTest("a lastEventId of another user's events is refused", () =>
    Effect.gen(function* () {
      const message = yield* refusal(yield* baseUrl, {
        token: yield* tokenFor("resume_c"),
        lastEventId: eventIdOf(UserId.make("resume_a"), 1)
      })
      expect(message).toContain("lastEventId")
    })
  )
})

/** What the Redis bus announces once its subscription is back after a loss; published by the test. */
class Gaps extends Context.Tag("test/Gaps")<Gaps, PubSub.PubSub<void>>() {}

/** The memory bus with a subscription that can be lost: events not published are the outage's, `Gaps` its end. */
const LossyBus = Layer.scoped(
  EventBus,
  Effect.gen(function* () {
    const bus = yield* MemoryEventBus.make
    const gaps = yield* Gaps
    return EventBus.of({ ...bus, resubscribed: PubSub.subscribe(gaps) })
  })
)

const lossyHub = hubLayer({}, LossyBus).pipe(Layer.provideMerge(Layer.effect(Gaps, PubSub.unbounded<void>())))

describe("WsHub catch-up after the bus lost its subscription", () => {
  it.live("each socket is sent, from the log, the events published while the bus was down, then goes live", () =>
    Effect.gen(function* () {
      const userId = UserId.make("catchup_a")
      yield* userWithHistory(userId, 1)
      // no lastEventId: the socket starts at the user's newest event (3), and is sent nothing older
      const client = yield* connect(yield* baseUrl, { token: yield* tokenFor(userId) })
      yield* payOnce(userId) // 4, 5, 6: recorded while the bus was down, never published
      yield* PubSub.publish(yield* Gaps, undefined)
      const caught = yield* takeUntil(client, (f) => (f.payload as { sequence?: number }).sequence === 6)
      expect(sequences(caught)).toEqual([4, 5, 6])
      // the relay's repeat of 6 is dropped; the next payout is live again
      const log = yield* EventLog
      yield* payOnce(userId)
      yield* publishAll((yield* log.read({ userId, after: 5, limit: 10 })).map((e) => e.event))
      const live = yield* takeUntil(client, (f) => (f.payload as { sequence?: number }).sequence === 9)
      expect(sequences(live)).toEqual([7, 8, 9])
    }).pipe(Effect.scoped, Effect.provide(lossyHub))
  )
})
