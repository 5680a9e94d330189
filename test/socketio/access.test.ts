import { describe, expect, it } from "@effect/vitest"
import { UserId } from "../../src/domain/index.js"
import { mayJoin } from "../../src/infra/socketio/access.js"

const user = (id: string) => ({ userId: UserId.make(id), role: "user" as const })
const admin = { userId: UserId.make("ops_admin"), role: "admin" as const }

describe("socket room access", () => {
  it("a user joins its own room only, compared whole, never by prefix", () => {
    expect(mayJoin(user("user_001"), "user:user_001")).toBe(true)
    expect(mayJoin(user("user_001"), "user:user_0010")).toBe(false)
    expect(mayJoin(user("user_001"), "user:user_001x")).toBe(false)
    expect(mayJoin(user("user_0010"), "user:user_001")).toBe(false)
  })

  it("an admin joins any user room with a valid id, and nothing else", () => {
    expect(mayJoin(admin, "user:user_0010")).toBe(true)
    expect(mayJoin(admin, "user:")).toBe(false)
    expect(mayJoin(admin, "user:../x")).toBe(false)
    expect(mayJoin(admin, "payouts:all")).toBe(false)
  })
})
