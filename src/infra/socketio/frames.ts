import { ParseResult, Schema } from "effect"
import { type Actor, PayoutEventType, UserId, type WirePayoutEvent } from "../../domain/index.js"
import type { Stream } from "./resume.js"

/** `io(url, {auth: {token}})`; no token connects unauthenticated. */
export const HandshakeAuth = Schema.Struct({
  token: Schema.optional(Schema.String),
  /** Resume: the last event this client has; the events after it are replayed first. */
  lastEventId: Schema.optional(Schema.String.pipe(Schema.maxLength(80)))
})

export const AuthenticateFrame = Schema.Struct({
  userId: UserId,
  token: Schema.String,
  lastEventId: Schema.optional(Schema.String.pipe(Schema.maxLength(80)))
})

export const SubscribeFrame = Schema.Struct({
  channels: Schema.Array(Schema.String.pipe(Schema.maxLength(80))).pipe(Schema.minItems(1), Schema.maxItems(50))
})

/** What a client receives for each payout event (the same shape as GET /api/events). */
export { toWire, WirePayoutEvent } from "../../domain/index.js"

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
  /** Per user room: which of its events this socket has been sent (see resume.ts). */
  streams?: Map<string, Stream>
  /** The handshake's resume point, replayed once the socket is connected. */
  resumeAfter?: number
}

export const payoutEventTypes: ReadonlyArray<PayoutEventType> = PayoutEventType.literals

/** A short, client-safe description of why a frame did not decode. */
export const describeParseError = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`))
    .join("; ")
