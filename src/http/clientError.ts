import type * as Http from "node:http"
import type { Duplex } from "node:stream"
import { Effect } from "effect"
import { SECURITY_HEADERS } from "./securityHeaders.js"

interface Refusal {
  readonly status: number
  readonly reason: string
  readonly code: string
  readonly message: string
}

const malformed: Refusal = {
  status: 400,
  reason: "Bad Request",
  code: "MALFORMED_REQUEST",
  message: "Malformed HTTP request"
}

/** What node's parser errors mean, as node itself would answer them (statuses of its default handler). */
const REFUSALS: Readonly<Record<string, Refusal>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    reason: "Request Header Fields Too Large",
    code: "HEADERS_TOO_LARGE",
    message: "Request headers are too large"
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    status: 413,
    reason: "Payload Too Large",
    code: "PAYLOAD_TOO_LARGE",
    message: "Chunk extensions are too large"
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: "Request Timeout",
    code: "REQUEST_TIMEOUT",
    message: "The request took too long to arrive"
  }
}

const errorCode = (error: Error): string | undefined =>
  "code" in error && typeof error.code === "string" ? error.code : undefined

export const refusalOf = (error: Error): Refusal => REFUSALS[errorCode(error) ?? ""] ?? malformed

const bodyOf = (refusal: Refusal) => JSON.stringify({ success: false, error: refusal.message, code: refusal.code })

/** A whole HTTP/1.1 response, for a socket whose request could not be parsed. */
export const rawResponse = (refusal: Refusal, extraHeaders: Readonly<Record<string, string>> = {}): string => {
  const body = bodyOf(refusal)
  const headers = {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
    ...SECURITY_HEADERS,
    ...extraHeaders
  }
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`)
  return [`HTTP/1.1 ${refusal.status} ${refusal.reason}`, ...lines, "", body].join("\r\n")
}

/** A response of node's is being written on this socket already: another one would corrupt it. */
const midResponse = (socket: Duplex) =>
  "_httpMessage" in socket &&
  typeof socket._httpMessage === "object" &&
  socket._httpMessage !== null &&
  "headersSent" in socket._httpMessage &&
  socket._httpMessage.headersSent === true

export interface ParserRefusal {
  readonly refusal: Refusal
  readonly error: string | undefined
}

/**
 * Answers what node refuses before the app sees a request (oversize headers,
 * broken framing, a request that never finishes, an unsupported `Expect`) in the
 * API's error shape with the security headers, instead of node's empty bodies.
 * `onRefusal` is told of each answer (for the log) and gives headers to add to it.
 */
export const answerParserErrors = (
  server: Http.Server,
  onRefusal: (refused: ParserRefusal) => Readonly<Record<string, string>> = () => ({})
) => {
  const onClientError = (error: Error, socket: Duplex) => {
    const refusal = refusalOf(error)
    if (socket.writable && !midResponse(socket)) {
      socket.end(rawResponse(refusal, onRefusal({ refusal, error: errorCode(error) })))
    } else {
      socket.destroy(error)
    }
  }
  const onCheckExpectation = (_request: Http.IncomingMessage, response: Http.ServerResponse) => {
    const refusal: Refusal = {
      status: 417,
      reason: "Expectation Failed",
      code: "EXPECTATION_FAILED",
      message: "Only Expect: 100-continue is supported"
    }
    const body = bodyOf(refusal)
    response.writeHead(417, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      ...SECURITY_HEADERS,
      ...onRefusal({ refusal, error: "EXPECTATION_FAILED" })
    })
    response.end(body)
  }
  return Effect.acquireRelease(
    Effect.sync(() => {
      server.on("clientError", onClientError)
      server.on("checkExpectation", onCheckExpectation)
    }),
    () =>
      Effect.sync(() => {
        server.off("clientError", onClientError)
        server.off("checkExpectation", onCheckExpectation)
      })
  )
}
