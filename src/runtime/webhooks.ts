import { Config, Effect, Layer } from "effect"
import { ValidationError } from "../domain/index.js"
import * as WebhookHttpSender from "../infra/webhooks/sender.js"
import { checkWebhookUrl } from "../infra/webhooks/urlPolicy.js"
import { WebhookSender } from "../ports/WebhookSender.js"
import { WebhookUrlCheck } from "../programs/webhooks/WebhookEndpoints.js"
import { Settings, webhookUrlSettings } from "../settings.js"

/** The SSRF guard on saved URLs: WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOW_PRIVATE_URLS. */
export const UrlCheck = Layer.effect(
  WebhookUrlCheck,
  Effect.map(
    webhookUrlSettings,
    (options) => (url: string) =>
      checkWebhookUrl(url, options).pipe(
        Effect.map((u) => u.href),
        Effect.mapError(
          (refused) =>
            new ValidationError({
              message: "Invalid webhook endpoint",
              details: [{ field: "url", message: refused.message }]
            })
        )
      )
  )
)

/** Outbound POSTs, guarded again at connect time; WEBHOOK_TIMEOUT_MS. */
export const Sender = Layer.effect(
  WebhookSender,
  Effect.map(Config.all({ url: webhookUrlSettings, timeoutMs: Settings.webhookTimeoutMs }), ({ url, timeoutMs }) =>
    WebhookHttpSender.make({ ...url, timeoutMs })
  )
)
