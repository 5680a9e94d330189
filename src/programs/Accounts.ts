import { Config, Context, Effect, Either, Layer } from "effect"
import {
  type Authorized,
  CreditBody,
  type Currency,
  type IdempotencyKeyInUse,
  type IdempotencyKeyReused,
  IdempotencyScope,
  type Minor,
  parseWithAmount,
  type ServiceUnavailable,
  type UserId,
  type UserNotActive,
  type UserNotFound,
  type ValidationError
} from "../domain/index.js"
import { PayoutStore } from "../ports/PayoutStore.js"
import { Settings } from "../settings.js"
import { fingerprint, withIdempotency } from "./idempotency.js"

const parseCredit = parseWithAmount(CreditBody, "credit request")

export interface Credited {
  readonly userId: UserId
  readonly currency: Currency
  readonly available: Minor
  readonly replayed: boolean
}

export interface AccountsShape {
  /** A funding posting for `userId`, by an admin (the policy's proof); the Idempotency-Key is scoped to that user. */
  readonly credit: (
    admin: Authorized<"admin">,
    userId: UserId,
    body: unknown,
    idempotencyKey: string | null
  ) => Effect.Effect<
    Credited,
    ValidationError | UserNotFound | UserNotActive | IdempotencyKeyInUse | IdempotencyKeyReused | ServiceUnavailable
  >
}

const make = Effect.gen(function* () {
  const store = yield* PayoutStore
  const limits = yield* Config.all({ minMinor: Settings.minPayoutMinor, maxMinor: Settings.maxPayoutMinor })
  const leaseMs = yield* Settings.idempotencyLeaseMs

  const parse = (body: unknown) =>
    Either.map(parseCredit(body, limits), ({ body: b, amount }) => ({ amount, currency: b.currency }))

  const credit = Effect.fn("Accounts.credit")(function* (
    _admin: Authorized<"admin">,
    userId: UserId,
    body: unknown,
    key: string | null
  ) {
    const request = yield* parse(body)
    const claim =
      key === null ? null : { scope: IdempotencyScope.credit(userId), key, fingerprint: fingerprint(request) }
    const outcome = yield* withIdempotency(store, claim, leaseMs, (ticket) =>
      store.credit({ userId, ...request }, ticket)
    )
    if (outcome._tag === "Fresh") {
      const { currency, available } = outcome.value
      return { userId, currency, available, replayed: false }
    }
    const { currency, available } = outcome.result
    return { userId, currency, available, replayed: true }
  })

  return { credit } satisfies AccountsShape
})

export class Accounts extends Context.Tag("swiftpay/Accounts")<Accounts, AccountsShape>() {
  static readonly layer = Layer.effect(Accounts, make)
}
