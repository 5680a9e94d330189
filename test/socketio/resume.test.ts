import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { attemptOf, eventIdOf, minor, TransactionId, UserId } from "../../src/domain/index.js"
import { EventLog } from "../../src/ports/EventLog.js"
import { PayoutStore } from "../../src/ports/PayoutStore.js"
import { ask, connect, refusal, takeUntil } from "./client.js"
import { baseUrl, hubTest, publishAll, tokenFor } from "./harness.js"

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
