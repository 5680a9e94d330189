import { describe, expect } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { UserId } from "../../src/domain/index.js"
import { WirePayoutEvent } from "../../src/infra/socketio/frames.js"
import { ask, type Client, connect, isPayout, payoutOf, takeUntil } from "./client.js"
import { baseUrl, hubTest, initiated, lifecycle, publishAll, tokenFor } from "./harness.js"

const alice = UserId.make("user_001")
const bob = UserId.make("user_002")
const charlie = UserId.make("user_003")

/** Payout frames up to and including the one for `transactionId` (its last lifecycle step). */
const payoutsUntil = (client: Client, transactionId: string, event: string) =>
  takeUntil(client, (frame) => frame.event === event && payoutOf(frame, transactionId)).pipe(
    Effect.map((frames) => frames.filter(isPayout))
  )

describe("WsHub fan-out", () => {
  hubTest("an authenticated socket receives its user's events, in lifecycle order, in wire format", () =>
    Effect.gen(function* () {
      const client = yield* connect(yield* baseUrl, { token: yield* tokenFor(alice) })
      const [t1, t2] = [lifecycle(alice, 1, "completed"), lifecycle(alice, 2, "failed")]
      // Two payouts interleaved, as concurrent settlements publish them.
      const published = [t1[0], t2[0], t1[1], t2[1], t1[2], t2[2]]
      yield* publishAll(published)
      const frames = yield* payoutsUntil(client, t2[2].transactionId, "PAYOUT_FAILED")
      expect(frames.map((f) => f.event)).toEqual(published.map((e) => e.type))
      const wire = frames.map((f) => Schema.decodeUnknownSync(WirePayoutEvent)(f.payload))
      expect(wire[0]).toEqual({
        eventId: t1[0].eventId,
        sequence: t1[0].sequence,
        type: "PAYOUT_INITIATED",
        transactionId: t1[0].transactionId,
        userId: "user_001",
        status: "initiated",
        amount: 100.5,
        currency: "USD",
        newBalance: 9899.5,
        timestamp: new Date(t1[0].timestamp).toISOString()
      })
      expect(wire[5]).toMatchObject({ status: "failed", amount: 100.5, newBalance: 10000, error: "rail declined" })
    })
  )

  hubTest("another user's socket and an unauthenticated socket never receive them", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const aliceSocket = yield* connect(url, { token: yield* tokenFor(alice) })
      const bobSocket = yield* connect(url, { token: yield* tokenFor(bob) })
      const anonymous = yield* connect(url)
      const alicePayout = lifecycle(alice, 3, "completed")
      yield* publishAll(alicePayout)
      expect(yield* payoutsUntil(aliceSocket, alicePayout[0].transactionId, "PAYOUT_COMPLETED")).toHaveLength(3)

      // A later event in bob's own room: had alice's reached him, they would have arrived first.
      const bobEvent = initiated(bob, 4)
      yield* publishAll([bobEvent])
      const bobFrames = yield* payoutsUntil(bobSocket, bobEvent.transactionId, "PAYOUT_INITIATED")
      expect(bobFrames.map((f) => f.payload)).toMatchObject([{ userId: "user_002" }])

      // Same for the anonymous socket, once it has a room of its own to receive a later event in.
      expect((yield* ask(anonymous, "authenticate", { userId: charlie, token: yield* tokenFor(charlie) })).event).toBe(
        "authenticated"
      )
      const charlieEvent = initiated(charlie, 5)
      yield* publishAll([charlieEvent])
      const anonymousFrames = yield* payoutsUntil(anonymous, charlieEvent.transactionId, "PAYOUT_INITIATED")
      expect(anonymousFrames.map((f) => f.payload)).toMatchObject([{ userId: "user_003" }])
    })
  )

  hubTest("a seed-style authenticate and an admin's subscription both receive the user's events", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const seed = yield* connect(url)
      yield* ask(seed, "authenticate", { userId: alice, token: yield* tokenFor(alice) })
      const admin = yield* connect(url, { token: yield* tokenFor("ops_admin", "admin") })
      expect((yield* ask(admin, "subscribe", { channels: [`user:${alice}`] })).event).toBe("subscribed")
      const payout = lifecycle(alice, 6, "completed")
      yield* publishAll(payout)
      for (const client of [seed, admin]) {
        const frames = yield* payoutsUntil(client, payout[0].transactionId, "PAYOUT_COMPLETED")
        expect(frames.map((f) => f.event)).toEqual(["PAYOUT_INITIATED", "PAYOUT_PROCESSING", "PAYOUT_COMPLETED"])
      }
    })
  )

  hubTest("re-authenticating as another user leaves the previous user's room", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const client = yield* connect(url, { token: yield* tokenFor(alice) })
      expect((yield* ask(client, "authenticate", { userId: bob, token: yield* tokenFor(bob) })).event).toBe(
        "authenticated"
      )
      const bobEvent = initiated(bob, 8)
      yield* publishAll([initiated(alice, 7), bobEvent])
      const frames = yield* payoutsUntil(client, bobEvent.transactionId, "PAYOUT_INITIATED")
      expect(frames.map((f) => f.payload)).toMatchObject([{ userId: "user_002" }])
    })
  )
})
