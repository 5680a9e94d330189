import { Effect, Either, Schema } from "effect"
import { TransactionId, UserId } from "../domain/index.js"
import type { HistoryCursor } from "../ports/PayoutStore.js"
import { invalid } from "./request.js"

/** Every list's opaque `nextCursor`: base64url of JSON of where the page ended. */
const opaque = <A, I>(where: Schema.Schema<A, I>) => {
  const Cursor = Schema.compose(Schema.StringFromBase64Url, Schema.parseJson(where))
  return {
    encode: (a: A): string => Either.getOrThrow(Schema.encodeEither(Cursor)(a)),
    decode: (text: string) =>
      Schema.decodeUnknown(Cursor)(text).pipe(
        Effect.mapError(() =>
          invalid("Invalid cursor", [{ field: "cursor", message: "cursor must be a nextCursor from this API" }])
        )
      )
  }
}

/** Payout lists (history, the admin's payouts): the last row's {createdAt, transactionId}. */
const Payouts = opaque(
  Schema.Struct({ createdAt: Schema.Int.pipe(Schema.nonNegative()), transactionId: TransactionId })
)

export const encodeCursor = (cursor: HistoryCursor): string =>
  Payouts.encode({ createdAt: cursor.createdAt, transactionId: cursor.transactionId })

export const decodeCursor = Payouts.decode

/** The admin's user list: the last row's {userId}. */
const Users = opaque(Schema.Struct({ userId: UserId }))
export const encodeUserCursor = (userId: UserId): string => Users.encode({ userId })
export const decodeUserCursor = (text: string) => Effect.map(Users.decode(text), (c) => c.userId)

/** A ledger: the last posting's {seq}. */
const Ledger = opaque(Schema.Struct({ seq: Schema.Int.pipe(Schema.positive()) }))
export const encodeLedgerCursor = (seq: number): string => Ledger.encode({ seq })
export const decodeLedgerCursor = (text: string) => Effect.map(Ledger.decode(text), (c) => c.seq)

/** `cursor=` absent or empty (as docs/api.md allows for the first request) is the first page. */
export const optionalCursor = <A, E>(text: string | undefined, decode: (text: string) => Effect.Effect<A, E>) =>
  text === undefined || text === "" ? Effect.succeed(undefined) : decode(text)
