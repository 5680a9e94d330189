import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { AdminAuthentication } from "./auth.js"
import { CreateUserBody, CreditBody, ReturnBody, UpdateUserBody } from "./bodies.js"
import { ApiErrors } from "./errors.js"
import { IdempotencyHeaders, TransactionPath, UserPath } from "./payouts.js"
import { Credited, Reconciliation, TransactionFound, UserResponse } from "./schemas.js"

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
    HttpApiEndpoint.get("reconcile", "/api/admin/reconcile")
      .addSuccess(Reconciliation)
      .annotate(OpenApi.Summary, "Recompute every balance from the ledger and compare")
  )
  .addError(ApiErrors.RateLimitExceeded)
  .middleware(AdminAuthentication)
  .annotate(OpenApi.Title, "Admin")
  .annotate(OpenApi.Description, "Role admin only") {}
