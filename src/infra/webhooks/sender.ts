import * as Dns from "node:dns"
import * as Http from "node:http"
import * as Https from "node:https"
import type { LookupFunction } from "node:net"
import { Config, type ConfigError, Effect, Either, Layer } from "effect"
import {
  type WebhookRequest,
  type WebhookResponse,
  WebhookSendError,
  WebhookSender,
  type WebhookSenderShape
} from "../../ports/WebhookSender.js"
import { isPublicAddress } from "./addressPolicy.js"
import { PRIVATE_ADDRESS, parseWebhookUrl } from "./urlPolicy.js"

export interface WebhookSenderOptions {
  /** Connect and answer together, from the request's start. */
  readonly timeoutMs: number
  readonly allowHttp: boolean
  readonly allowPrivate: boolean
  /** How much of the answer's body is read before the socket is dropped; 4096 when absent. */
  readonly maxResponseBytes?: number | undefined
}

const DEFAULT_MAX_RESPONSE_BYTES = 4096
const USER_AGENT = "SwiftPay-Webhooks/1.0"

class BlockedAddress extends Error {}

/**
 * Resolves as `dns.lookup` does and refuses the connection when any address is not public:
 * checked here, at connect time, a name cannot pass the save-time check and then rebind.
 */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  Dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    const first = addresses?.[0]
    if (error !== null || first === undefined) return callback(error ?? new Error("ENOTFOUND"), "")
    if (!addresses.every((a) => isPublicAddress(a.address))) return callback(new BlockedAddress(), "")
    if (options.all === true) callback(null, addresses)
    else callback(null, first.address, first.family)
  })
}

const blocked = (message: string) => new WebhookSendError({ reason: "blocked", message })

const networkError = (error: unknown): WebhookSendError => {
  if (error instanceof BlockedAddress) return blocked(PRIVATE_ADDRESS)
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const message = code ?? (error instanceof Error ? error.message : String(error))
  return new WebhookSendError({ reason: "network", message: message.slice(0, 200) })
}

const requestHeaders = (request: WebhookRequest): Record<string, string> => {
  const given = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]))
  return {
    "user-agent": USER_AGENT,
    "content-type": "application/json",
    ...given,
    "content-length": String(Buffer.byteLength(request.body))
  }
}

const post = (url: URL, request: WebhookRequest, options: WebhookSenderOptions) =>
  Effect.async<WebhookResponse, WebhookSendError>((resume) => {
    const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    // Set once the status line is in: from then on every ending (body read, cap, deadline, reset) answers it
    let answer: Effect.Effect<WebhookResponse> | undefined
    let settled = false
    let req: Http.ClientRequest | undefined
    const settle = (outcome: Effect.Effect<WebhookResponse, WebhookSendError>) => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      req?.destroy()
      resume(outcome)
    }
    const timedOut = new WebhookSendError({ reason: "timeout", message: `no answer in ${options.timeoutMs} ms` })
    const deadline = setTimeout(() => settle(answer ?? Effect.fail(timedOut)), options.timeoutMs)
    const transport = url.protocol === "https:" ? Https : Http
    try {
      req = transport.request(
        url,
        {
          method: "POST",
          headers: requestHeaders(request),
          // A connection of its own each time: no pooled socket is shared with other requests' lookups
          agent: false,
          ...(options.allowPrivate ? {} : { lookup: guardedLookup })
        },
        (res) => {
          const received = Effect.succeed({ status: res.statusCode ?? 0 })
          answer = received
          let read = 0
          res.on("data", (chunk: Buffer) => {
            read += chunk.length
            if (read >= maxBytes) settle(received)
          })
          res.on("end", () => settle(received))
          res.on("error", () => settle(received))
          res.on("close", () => settle(received))
        }
      )
    } catch (error) {
      // Headers Node refuses (a newline in a value) throw here rather than emit
      settle(Effect.fail(networkError(error)))
      return
    }
    req.on("error", (error) => settle(answer ?? Effect.fail(networkError(error))))
    req.end(request.body)
    return Effect.sync(() => {
      settled = true
      clearTimeout(deadline)
      req?.destroy()
    })
  })

/** POSTs with node's http/https, no redirects followed, never to a non-public address unless allowed. */
export const make = (options: WebhookSenderOptions): WebhookSenderShape => ({
  send: (request) =>
    Effect.suspend(() =>
      Either.match(parseWebhookUrl(request.url, options), {
        onLeft: (refused) => Effect.fail(blocked(refused.message)),
        onRight: (url) => post(url, request, options)
      })
    )
})

export const layer = (options: WebhookSenderOptions): Layer.Layer<WebhookSender> =>
  Layer.succeed(WebhookSender, make(options))

export const layerConfig = (
  config: Config.Config.Wrap<WebhookSenderOptions>
): Layer.Layer<WebhookSender, ConfigError.ConfigError> => Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
