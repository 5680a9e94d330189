import * as Dns from "node:dns"
import { isIP } from "node:net"
import { Data, Duration, Effect, Either } from "effect"
import { isPublicAddress } from "./addressPolicy.js"

export const MAX_URL_LENGTH = 2048
/** "" is the scheme's default port. */
const WEB_PORTS: ReadonlyArray<string> = ["", "443", "80", "8443"]
export const PRIVATE_ADDRESS = "url resolves to a private, loopback or link-local address"
// A name server that never answers must not hold an endpoint's creation open
const RESOLVE_TIMEOUT = Duration.seconds(5)

/** Why a webhook URL is not accepted; `message` is fit to show the client. */
export class UrlRefused extends Data.TaggedError("UrlRefused")<{ readonly message: string }> {}

export interface UrlRules {
  readonly allowHttp: boolean
  readonly allowPrivate: boolean
}

export interface UrlPolicyOptions extends UrlRules {
  /** A host's addresses; `dns.promises.lookup(host, { all: true })` when absent. */
  readonly resolve?: ((host: string) => Promise<ReadonlyArray<string>>) | undefined
}

/** The URL's host when it is an IP literal (an IPv6 one without its brackets). */
export const ipLiteral = (url: URL): string | undefined => {
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname
  return isIP(host) === 0 ? undefined : host
}

/** What can be said without DNS: absolute, https (or http when allowed), no credentials, a public IP literal. */
export const parseWebhookUrl = (url: string, rules: UrlRules): Either.Either<URL, UrlRefused> => {
  const refuse = (message: string) => Either.left(new UrlRefused({ message }))
  if (url.length > MAX_URL_LENGTH) return refuse(`url must be at most ${MAX_URL_LENGTH} characters`)
  if (!URL.canParse(url)) return refuse("url must be an absolute URL")
  const parsed = new URL(url)
  // what is stored and sent is the normalized form, which percent-encoding can make much longer
  if (parsed.href.length > MAX_URL_LENGTH) return refuse(`url must be at most ${MAX_URL_LENGTH} characters, encoded`)
  const schemeAllowed = parsed.protocol === "https:" || (rules.allowHttp && parsed.protocol === "http:")
  if (!schemeAllowed) return refuse(rules.allowHttp ? "url must use http or https" : "url must use https")
  if (parsed.hostname === "") return refuse("url must be an absolute URL")
  if (parsed.username !== "" || parsed.password !== "") return refuse("url must not contain credentials")
  const literal = ipLiteral(parsed)
  if (literal !== undefined && !rules.allowPrivate && !isPublicAddress(literal)) return refuse(PRIVATE_ADDRESS)
  return Either.right(parsed)
}

const lookupAll = (host: string): Promise<ReadonlyArray<string>> =>
  Dns.promises.lookup(host, { all: true, verbatim: true }).then((found) => found.map((a) => a.address))

/**
 * The check when an endpoint is saved: `parseWebhookUrl`, then every address a name resolves to
 * must be public (skipped when private addresses are allowed). The sender checks again on connect.
 */
export const checkWebhookUrl = (url: string, options: UrlPolicyOptions): Effect.Effect<URL, UrlRefused> =>
  Effect.gen(function* () {
    const parsed = yield* parseWebhookUrl(url, options)
    // a delivery log of any port's answers would be a port scanner: only the web's ports, unless local development
    if (!options.allowPrivate && !WEB_PORTS.includes(parsed.port)) {
      return yield* new UrlRefused({ message: "url port must be 443, 80 or 8443" })
    }
    if (options.allowPrivate || ipLiteral(parsed) !== undefined) return parsed
    const resolve = options.resolve ?? lookupAll
    const unresolved = new UrlRefused({ message: "url host could not be resolved" })
    const addresses = yield* Effect.tryPromise({ try: () => resolve(parsed.hostname), catch: () => unresolved }).pipe(
      Effect.timeoutFail({ duration: RESOLVE_TIMEOUT, onTimeout: () => unresolved })
    )
    if (addresses.length === 0) return yield* unresolved
    if (!addresses.every(isPublicAddress)) return yield* new UrlRefused({ message: PRIVATE_ADDRESS })
    return parsed
  })
