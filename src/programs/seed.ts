import { Effect } from "effect"
import { type Currency, minor, UserId } from "../domain/index.js"
import { PayoutStore } from "../ports/PayoutStore.js"
import { fingerprint, withIdempotency } from "./idempotency.js"

export interface SeedUser {
  readonly userId: UserId
  readonly name: string
  readonly email: string
  readonly currency: Currency
  readonly balanceMinor: number
}

/** The users of API.md, in every fresh environment. */
export const seededUsers: ReadonlyArray<SeedUser> = [
  {
    userId: UserId.make("user_001"),
    name: "Alice Johnson",
    email: "alice@example.com",
    currency: "USD",
    balanceMinor: 1_000_000
  },
  {
    userId: UserId.make("user_002"),
    name: "Bob Smith",
    email: "bob@example.com",
    currency: "USD",
    balanceMinor: 500_000
  },
  {
    userId: UserId.make("user_003"),
    name: "Charlie Brown",
    email: "charlie@example.com",
    currency: "USD",
    balanceMinor: 1_500_000
  }
]

/** Creates the seeded users that do not exist yet, funding each through the ledger; existing users are left alone. */
export const seedUsers = Effect.gen(function* () {
  const store = yield* PayoutStore
  const created: Array<UserId> = []
  for (const u of seededUsers) {
    const made = yield* store
      .createUser({ userId: u.userId, name: u.name, email: u.email, currency: u.currency, status: "active" })
      .pipe(
        Effect.as(true),
        Effect.catchTag("UserExists", () => Effect.succeed(false))
      )
    if (!made) continue
    yield* store.credit({ userId: u.userId, amount: minor(u.balanceMinor), currency: u.currency }, null)
    created.push(u.userId)
  }
  return created
}).pipe(Effect.withSpan("seedUsers"))
