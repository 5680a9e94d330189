import { Schema } from "effect"
import { Currency } from "./money.js"
import { AmountInput, says } from "./payoutRequest.js"

/** The body of POST /api/admin/users/:userId/credit, as sent. */
export const CreditBody = Schema.Struct({
  amount: AmountInput,
  currency: Currency.annotations(says("currency must be one of USD, EUR, GBP, INR"))
}).annotations({ message: () => "the body must be a JSON object" })
