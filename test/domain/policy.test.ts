import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { actFor, administer, allows, rateLimitKey, readOwned, UserId } from "../../src/domain/index.js"

const alice = { userId: UserId.make("alice"), role: "user" as const }
const root = { userId: UserId.make("root"), role: "admin" as const }

describe("policies", () => {
  it("a user acts for its own account only, an admin for any; the proof names actor and target", () => {
    expect(Either.getOrThrow(actFor(alice, alice.userId))).toMatchObject({ actor: alice, target: "alice" })
    expect(allows(actFor, alice, UserId.make("bob"))).toBe(false)
    expect(Either.getOrThrow(actFor(root, UserId.make("bob"))).target).toBe("bob")
    const refused = Either.flip(actFor(alice, UserId.make("bob")))
    expect(Either.getOrThrow(refused)).toMatchObject({ _tag: "Forbidden", message: "You may not act on this resource" })
  })

  it("an owned resource is readable by whoever may act for its owner", () => {
    const payout = { userId: UserId.make("bob"), transactionId: "t" }
    expect(allows(readOwned<typeof payout>(), alice, payout)).toBe(false)
    expect(allows(readOwned<typeof payout>(), root, payout)).toBe(true)
  })

  it("administration is the admin role's, refused with its own message", () => {
    expect(allows(administer, root, "admin")).toBe(true)
    expect(Either.getOrThrow(Either.flip(administer(alice, "admin"))).message).toBe("Admin role required")
  })

  it("the per-user payout bucket is the actor's own, admins apart", () => {
    expect(rateLimitKey(alice)).toBe("rl:user:alice")
    expect(rateLimitKey({ userId: UserId.make("alice"), role: "admin" })).toBe("rl:admin:alice")
  })
})
