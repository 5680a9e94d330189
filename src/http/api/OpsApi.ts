import { HttpApi, OpenApi } from "@effect/platform"
import { ApiErrors } from "./errors.js"
import { HealthGroup, MetaGroup, SERVICE } from "./health.js"
import { withoutFrameworkErrors } from "./openapi.js"

/** What a process without the API (the worker) serves: health and metrics only. */
export class OpsApi extends HttpApi.make("swiftpay-ops")
  .add(HealthGroup)
  .add(MetaGroup)
  .addError(ApiErrors.InternalError)
  .addError(ApiErrors.ServiceUnavailable)
  .annotate(OpenApi.Title, "SwiftPay worker")
  .annotate(OpenApi.Version, SERVICE.version)
  .annotate(OpenApi.Transform, withoutFrameworkErrors) {}
