import { Clock, Effect, Random, Schema } from "effect"

const userIdRule = "userId must be 3-50 characters of letters, digits, '_' or '-'"

export const UserId = Schema.String.annotations({ message: () => userIdRule }).pipe(
  Schema.pattern(/^[A-Za-z0-9_-]{3,50}$/, { message: () => userIdRule }),
  Schema.brand("UserId", {
    description: "3 to 50 letters, digits, _ or -",
    // a user `npm start` seeds, so that Swagger UI's "Try it out" works as is
    examples: ["user_001" as never]
  })
)
export type UserId = typeof UserId.Type

/**
 * Who the service itself is in an audit entry's `by` (a return the rail reported):
 * a UserId like any actor's, reserved (no user may be created with it).
 */
export const SYSTEM_ACTOR: UserId = UserId.make("system")

export const TransactionId = Schema.String.pipe(
  Schema.pattern(/^TXN_[0-9A-Z]+_[0-9A-F]{16}$/, {
    message: () => "transactionId must look like TXN_<BASE36>_<16 HEX>"
  }),
  Schema.brand("TransactionId", {
    description: "TXN_<base36 creation time>_<16 hex>",
    examples: ["TXN_M3K9Z1AB_4F1C0D2E9A7B3C11" as never]
  })
)
export type TransactionId = typeof TransactionId.Type

const hex8 = Effect.map(Random.nextIntBetween(0, 0x1_0000_0000), (n) => n.toString(16).toUpperCase().padStart(8, "0"))

/** `TXN_<base36 ms>_<16 HEX>`: sortable by creation time, unique by its random tail. */
export const makeTransactionId: Effect.Effect<TransactionId> = Effect.zipWith(
  Clock.currentTimeMillis,
  Effect.zipWith(hex8, hex8, (a, b) => a + b),
  (ms, tail) => TransactionId.make(`TXN_${ms.toString(36).toUpperCase()}_${tail}`)
)
