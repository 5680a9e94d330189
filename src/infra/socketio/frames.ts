import { ParseResult, Schema } from "effect"
import { type Actor, type PayoutEvent, PayoutEventType, UserId } from "../../domain/index.js"
import { Currency, toDecimalNumber } from "../../domain/money.js"

/** `io(url, {auth: {token}})`; no token connects unauthenticated. */
export const HandshakeAuth = Schema.Struct({ token: Schema.optional(Schema.String) })

export const AuthenticateFrame = Schema.Struct({ userId: UserId, token: Schema.String })

export const SubscribeFrame = Schema.Struct({
  channels: Schema.Array(Schema.String.pipe(Schema.maxLength(80))).pipe(Schema.minItems(1), Schema.maxItems(50))
})

/** What a client receives for each payout event: decimal amounts, ISO timestamp. */
export const WirePayoutEvent = Schema.Struct({
  eventId: Schema.String,
  transactionId: Schema.String,
  userId: Schema.String,
  status: Schema.Literal("initiated", "processing", "completed", "failed"),
  amount: Schema.Number,
  currency: Currency,
  newBalance: Schema.optional(Schema.Number),
  error: Schema.optional(Schema.String),
  timestamp: Schema.String
})
export type WirePayoutEvent = typeof WirePayoutEvent.Type

export const toWire = (event: PayoutEvent): WirePayoutEvent => ({
  eventId: event.eventId,
  transactionId: event.transactionId,
  userId: event.userId,
  status: event.status,
  amount: toDecimalNumber(event.amount),
  currency: event.currency,
  ...(event.newBalance === undefined ? {} : { newBalance: toDecimalNumber(event.newBalance) }),
  ...(event.error === undefined ? {} : { error: event.error }),
  timestamp: new Date(event.timestamp).toISOString()
})

export interface Failure {
  readonly success: false
  readonly error: string
}

/** Error texts echo client input (a parse error quotes the value): none is sent longer than this. */
export const MAX_ERROR_LENGTH = 100

export const clip = (text: string): string =>
  text.length <= MAX_ERROR_LENGTH ? text : `${text.slice(0, MAX_ERROR_LENGTH - 1)}…`

export const failure = (error: string): Failure => ({ success: false, error: clip(error) })

/** Frames are untrusted: every listener takes `unknown` and decodes it. */
export type ClientEvents = {
  authenticate: (frame: unknown) => void
  subscribe: (frame: unknown) => void
}

export type ServerEvents = {
  authenticated: (reply: { readonly success: true; readonly userId: string; readonly socketId: string }) => void
  authentication_error: (reply: Failure) => void
  subscribed: (reply: { readonly success: true; readonly channels: ReadonlyArray<string> }) => void
  subscription_error: (reply: Failure) => void
  authentication_expired: (reply: Failure) => void
  /** Sent just before the server disconnects a socket that broke one of its limits. */
  limit_exceeded: (reply: Failure) => void
} & Record<PayoutEventType, (event: WirePayoutEvent) => void>

export interface SocketData {
  actor?: Actor
  /** When the token behind `actor` expires (epoch ms): the socket is cut off then. */
  expiresAt?: number
  /** Failed `authenticate` frames so far. */
  authFailures?: number
}

export const payoutEventTypes: ReadonlyArray<PayoutEventType> = PayoutEventType.literals

/** A short, client-safe description of why a frame did not decode. */
export const describeParseError = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
    .join("; ")
