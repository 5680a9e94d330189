import { HealthGroup } from "./api/health.js"

const ABSOLUTE_FORM = /^https?:\/\/.*?\//

/** Percent-decodes like the router: reserved characters (`%2F`, `%3F`, ...) and `%25` stay encoded. */
const decode = (path: string): string => {
  if (!path.includes("%")) return path
  try {
    return decodeURI(path.replace(/%25/g, "%2525"))
  } catch {
    return path // the router matches nothing then (404)
  }
}

/**
 * The path a request is routed on, as @effect/platform's router (find-my-way-ts:
 * case-insensitive, duplicate and trailing slashes ignored) sees it: the
 * absolute form's `http://host` dropped, `//` collapsed, cut at `?`, `;` or `#`,
 * decoded, lower-cased. Whatever is decided about a request (rate limit,
 * metric label, tracing) is decided on this, never on the raw request line.
 */
export const routerPath = (url: string): string => {
  const absolute = url.charCodeAt(0) === 47 ? url : url.replace(ABSOLUTE_FORM, "/")
  const collapsed = absolute.replace(/\/\/+/g, "/")
  const end = collapsed.slice(1).search(/[?;#]/)
  const decoded = decode(end === -1 ? collapsed : collapsed.slice(0, end + 1))
  const trimmed = decoded.length > 1 && decoded.endsWith("/") ? decoded.slice(0, -1) : decoded
  return trimmed.toLowerCase()
}

const HEALTH: ReadonlySet<string> = new Set(Object.values(HealthGroup.endpoints).map((e) => e.path))

export const DOCS: ReadonlyArray<string> = ["/api/docs", "/api/openapi.json"]

/** `routerPath`s of the health endpoints. */
export const isHealth = (path: string) => HEALTH.has(path)

/** Health probes and metric scrapes: untraced, logged at Debug only. */
export const isProbe = (path: string) => isHealth(path) || path === "/metrics"

/** Probes, scrapes and the API's own description: public, and never rate limited (README). */
export const isUnlimited = (path: string) => isProbe(path) || DOCS.includes(path)
