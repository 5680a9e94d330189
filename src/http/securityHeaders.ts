import { type HttpApp, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"

/** On every response the port gives: the API's, CORS preflights, and node's own parser refusals. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cache-control": "no-store"
}

/** The outermost middleware: whatever answered (CORS included), the headers are set. */
export const withSecurityHeaders = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.map(app, (response) => HttpServerResponse.setHeaders(response, SECURITY_HEADERS))
