import { Schema } from "effect"
import { Currency, UserId, UserStatus } from "../../domain/index.js"

export { CreditBody, PayoutBody } from "../../domain/index.js"

export const CreateUserBody = Schema.Struct({
  userId: UserId,
  name: Schema.optional(Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(100))),
  email: Schema.optional(
    Schema.String.pipe(
      Schema.maxLength(254),
      Schema.pattern(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { message: () => "email must be an email address" })
    )
  ),
  currency: Schema.optional(Currency)
}).annotations({ identifier: "CreateUser" })

export const UpdateUserBody = Schema.Struct({ status: UserStatus }).annotations({ identifier: "UpdateUser" })

export const ReturnBody = Schema.Struct({
  reason: Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(500)).annotations({
    message: () => ({ message: "reason must be 1 to 500 characters", override: true })
  })
}).annotations({ identifier: "PayoutReturn" })
