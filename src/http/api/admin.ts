import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { Currency, IsoDateTimeInput, says, TransactionStatus, UserId, UserStatus } from "../../domain/index.js"
import { AdminAuthentication } from "./auth.js"
import { CreateUserBody, CreditBody, ReturnBody, UpdateUserBody } from "./bodies.js"
import { ApiErrors } from "./errors.js"
import { CursorParam, IdempotencyHeaders, TransactionPath, UserPath } from "./payouts.js"
import {
  Credited,
  History,
  PageLimit,
  Reconciliation,
  TransactionFound,
  UserDetail,
  UserList,
  UserResponse
} from "./schemas.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true })

export const UserListParams = Schema.Struct({
  limit: PageLimit,
  status: optional(
    UserStatus.annotations({ ...says(`status must be one of ${UserStatus.literals.join(", ")}`), examples: ["active"] })
  ),
  currency: optional(
    Currency.annotations({
      ...says(`currency must be one of ${Currency.literals.join(", ")}`),
      description: "only users holding an account in this currency",
      examples: ["USD"]
    })
  ),
  cursor: CursorParam
})

const When = (field: string, description: string) =>
  optional(IsoDateTimeInput(field).annotations({ description, examples: [Date.parse("2026-12-01T00:00:00Z")] }))

export const PayoutListParams = Schema.Struct({
  limit: PageLimit,
  status: optional(
    TransactionStatus.annotations({
      ...says(`status must be one of ${TransactionStatus.literals.join(", ")}`),
      examples: ["completed"]
    })
  ),
  userId: optional(
    UserId.annotations({
      ...says("userId must be 3..50 of A-Z, a-z, 0-9, _ and -"),
      examples: [UserId.make("user_001")]
    })
  ),
  createdAfter: When("createdAfter", "created at or after this ISO 8601 date-time with a time zone"),
  createdBefore: When("createdBefore", "created before this ISO 8601 date-time with a time zone"),
  cursor: CursorParam
})

export class AdminGroup extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("createUser", "/api/admin/users")
      .setPayload(CreateUserBody)
      .addSuccess(UserResponse, { status: 201 })
      .addError(ApiErrors.UserExists)
      .addError(ApiErrors.PayloadTooLarge)
  )
  .add(
    HttpApiEndpoint.patch("updateUser", "/api/admin/users/:userId")
      .setPath(UserPath)
      .setPayload(UpdateUserBody)
      .addSuccess(UserResponse)
      .addError(ApiErrors.UserNotFound)
      .addError(ApiErrors.PayloadTooLarge)
  )
  .add(
    HttpApiEndpoint.post("credit", "/api/admin/users/:userId/credit")
      .setPath(UserPath)
      .setPayload(CreditBody)
      .setHeaders(IdempotencyHeaders)
      .addSuccess(Credited)
      .addError(ApiErrors.UserNotFound)
      .addError(ApiErrors.UserNotActive)
      .addError(ApiErrors.IdempotencyKeyInUse)
      .addError(ApiErrors.IdempotencyKeyReused)
      .addError(ApiErrors.PayloadTooLarge)
      .annotate(OpenApi.Summary, "Fund an account: a FUND posting in the ledger")
  )
  .add(
    HttpApiEndpoint.post("recordReturn", "/api/admin/payouts/:transactionId/return")
      .setPath(TransactionPath)
      .setPayload(ReturnBody)
      .addSuccess(TransactionFound)
      .addError(ApiErrors.TransactionNotFound)
      .addError(ApiErrors.PayoutNotReturnable)
      .addError(ApiErrors.PayloadTooLarge)
      .annotate(OpenApi.Summary, "Record that the bank sent a completed payout back: the amount is available again")
  )
  .add(
    HttpApiEndpoint.get("listUsers", "/api/admin/users")
      .setUrlParams(UserListParams)
      .addSuccess(UserList)
      .annotate(OpenApi.Summary, "Users by userId, each with its accounts' balances, a page at a time")
  )
  .add(
    HttpApiEndpoint.get("getUser", "/api/admin/users/:userId")
      .setPath(UserPath)
      .addSuccess(UserDetail)
      .addError(ApiErrors.UserNotFound)
      .annotate(OpenApi.Summary, "One user with its accounts' balances")
  )
  .add(
    HttpApiEndpoint.get("listPayouts", "/api/admin/payouts")
      .setUrlParams(PayoutListParams)
      .addSuccess(History)
      .annotate(OpenApi.Summary, "Payouts of every user, newest first, a page at a time")
  )
  .add(
    HttpApiEndpoint.get("reconcile", "/api/admin/reconcile")
      .addSuccess(Reconciliation)
      .annotate(OpenApi.Summary, "Recompute every balance from the ledger and compare")
  )
  .addError(ApiErrors.RateLimitExceeded)
  .middleware(AdminAuthentication)
  .annotate(OpenApi.Title, "Admin")
  .annotate(OpenApi.Description, "Role admin only") {}
