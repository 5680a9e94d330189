import { Webhook } from "standardwebhooks"
import { type PayoutEvent, toWire } from "../../domain/index.js"

/** The Standard Webhooks message for an event: the body and the three webhook-* headers. */
export interface SignedMessage {
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

/** `{type, timestamp, data}`, data being the event as clients see it everywhere else. */
export const bodyOf = (event: PayoutEvent): string => {
  const data = toWire(event)
  return JSON.stringify({ type: event.type, timestamp: data.timestamp, data })
}

/**
 * Signed by every secret in force (a rotation's old one too), space-separated
 * as the specification says, so a receiver on either secret verifies it.
 * `webhook-id` is the eventId: the same on every retry, a receiver's dedupe key.
 */
export const signedMessage = (event: PayoutEvent, secrets: ReadonlyArray<string>, now: number): SignedMessage => {
  const body = bodyOf(event)
  const at = new Date(Math.floor(now / 1000) * 1000)
  const signature = secrets.map((secret) => new Webhook(secret).sign(event.eventId, at, body)).join(" ")
  return {
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": event.eventId,
      "webhook-timestamp": String(at.getTime() / 1000),
      "webhook-signature": signature
    }
  }
}
