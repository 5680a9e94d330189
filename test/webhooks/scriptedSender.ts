import { Effect, Layer } from "effect"
import { type WebhookRequest, WebhookSendError, WebhookSender } from "../../src/ports/WebhookSender.js"

/** What the receiver does with the next request: answer a status, fail, or never answer. */
export type Reply = number | "refused" | "hang"

/**
 * A WebhookSender that records every request and answers from a script
 * (then `fallback`): the receiver's behaviour, with no network and no clock.
 */
export const scriptedSender = (fallback: Reply = 200) => {
  const requests: Array<WebhookRequest> = []
  const script: Array<Reply> = []
  const sender = WebhookSender.of({
    send: (request) =>
      Effect.suspend(() => {
        requests.push(request)
        const reply = script.shift() ?? fallback
        if (reply === "hang") return Effect.never
        if (reply === "refused")
          return Effect.fail(new WebhookSendError({ reason: "network", message: "ECONNREFUSED" }))
        return Effect.succeed({ status: reply })
      })
  })
  return {
    requests,
    /** The next replies, in order. */
    reply: (...replies: ReadonlyArray<Reply>) => script.push(...replies),
    layer: Layer.succeed(WebhookSender, sender)
  }
}
