import { Context, type Effect, Schema } from "effect"

export interface WebhookRequest {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** The receiver answered (any status: the caller decides what 2xx, 410 or 500 mean). */
export interface WebhookResponse {
  readonly status: number
}

/**
 * No answer: `blocked` (the URL or an address it resolved to is not allowed),
 * `timeout`, or `network` (refused, reset, DNS, TLS).
 */
export class WebhookSendError extends Schema.TaggedError<WebhookSendError>()("WebhookSendError", {
  reason: Schema.Literal("blocked", "timeout", "network"),
  message: Schema.String
}) {}

/** One POST to a receiver: no redirects followed, the answer's body read up to a small limit and dropped. */
export interface WebhookSenderShape {
  readonly send: (request: WebhookRequest) => Effect.Effect<WebhookResponse, WebhookSendError>
}

export class WebhookSender extends Context.Tag("swiftpay/WebhookSender")<WebhookSender, WebhookSenderShape>() {}
