import { Effect } from "effect"
import { type Currency, IdempotencyScope, minor, UserId } from "../domain/index.js"
import { PayoutStore } from "../ports/PayoutStore.js"
import { fingerprint, withIdempotency } from "./idempotency.js"

export interface SeedUser {
  readonly userId: UserId
  readonly name: string
  readonly email: string
  readonly currency: Currency
  readonly balanceMinor: number
}

/** The seeded users of docs/api.md, in every fresh environment. */
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

/**
 * Creates the seeded users that do not exist yet and funds each through the
 * ledger, once: the funding carries an idempotency key, so a seeder that died
 * between the two steps is completed by the next run, never doubled. A user
 * that already has money (from mongo-init.js, or real use) is left alone.
 */
export const seedUsers = Effect.gen(function* () {
  const store = yield* PayoutStore
  const funded: Array<UserId> = []
  for (const u of seededUsers) {
    yield* store
      .createUser({ userId: u.userId, name: u.name, email: u.email, currency: u.currency, status: "active" })
      .pipe(Effect.catchTag("UserExists", () => Effect.void))
    const accounts = yield* store.accounts(u.userId)
    if (accounts.some((a) => a.funded > 0)) continue
    const request = { userId: u.userId, amount: minor(u.balanceMinor), currency: u.currency }
    const claim = { scope: IdempotencyScope.credit(u.userId), key: "seed", fingerprint: fingerprint(request) }
    const outcome = yield* withIdempotency(store, claim, 60_000, (ticket) => store.credit(request, ticket))
    if (outcome._tag === "Fresh") funded.push(u.userId)
  }
  return funded
}).pipe(Effect.withSpan("seedUsers"))
