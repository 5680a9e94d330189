import { Effect, Either, Schema } from "effect"
import { TransactionId } from "../domain/index.js"
import type { HistoryCursor } from "../ports/PayoutStore.js"
import { invalid } from "./request.js"

/** The opaque `nextCursor`: base64url of the last row's {createdAt, transactionId}. */
const Cursor = Schema.compose(
  Schema.StringFromBase64Url,
  Schema.parseJson(Schema.Struct({ createdAt: Schema.Int.pipe(Schema.nonNegative()), transactionId: TransactionId }))
)

export const encodeCursor = (cursor: HistoryCursor): string =>
  Either.getOrThrow(Schema.encodeEither(Cursor)({ createdAt: cursor.createdAt, transactionId: cursor.transactionId }))

export const decodeCursor = (text: string) =>
  Schema.decodeUnknown(Cursor)(text).pipe(
    Effect.mapError(() =>
      invalid("Invalid cursor", [{ field: "cursor", message: "cursor must be a nextCursor from this API" }])
    )
  )
