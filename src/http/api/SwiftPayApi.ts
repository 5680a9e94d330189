import { HttpApi, OpenApi } from "@effect/platform"
import { AdminGroup } from "./admin.js"
import { ApiErrors } from "./errors.js"
import { EventsGroup } from "./events.js"
import { HealthGroup, MetaGroup, SERVICE } from "./health.js"
import { withoutFrameworkErrors, withWebhooks } from "./openapi.js"
import { PayoutsGroup } from "./payouts.js"
import { WebhooksGroup } from "./webhooks.js"

/** The HTTP contract of docs/api.md: served by src/http/handlers, used as is by clients and tests. */
export class SwiftPayApi extends HttpApi.make("swiftpay")
  .add(PayoutsGroup)
  .add(EventsGroup)
  .add(WebhooksGroup)
  .add(AdminGroup)
  .add(HealthGroup)
  .add(MetaGroup)
  .addError(ApiErrors.ValidationError)
  .addError(ApiErrors.InternalError)
  .addError(ApiErrors.ServiceUnavailable)
  .annotate(OpenApi.Title, "SwiftPay")
  .annotate(OpenApi.Version, SERVICE.version)
  .annotate(OpenApi.Transform, (spec) => withWebhooks(withoutFrameworkErrors(spec)))
  .annotate(
    OpenApi.Description,
    "Instant payouts: money held at once, settled asynchronously, events over Socket.IO"
  ) {}
