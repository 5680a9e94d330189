import { HttpServerError } from "@effect/platform"
import { type Config, Effect, Option, Predicate, Redacted } from "effect"
import { ServiceUnavailable } from "../domain/errors.js"
import { describeCause, maskUrl } from "../infra/address.js"
import { Settings } from "../settings.js"

interface Dependency {
  readonly name: string
  readonly fix: string
  /** Where it is looked for, when the error does not say. */
  readonly configured?: Config.Config<Redacted.Redacted>
}

const dependencies: Record<string, Dependency> = {
  redis: { name: "Redis", fix: "Start Redis, or point REDIS_URL (or REDIS_HOST / REDIS_PORT / REDIS_PASSWORD) at it." },
  mongodb: {
    name: "MongoDB",
    fix: "Start MongoDB (a replica set), or point MONGODB_URI at it.",
    configured: Settings.mongoUri
  },
  rabbitmq: { name: "RabbitMQ", fix: "Start RabbitMQ, or point RABBITMQ_URL at it.", configured: Settings.rabbitUrl }
}

const unreachable = (e: ServiceUnavailable): Effect.Effect<string> => {
  const dependency = dependencies[e.dependency] ?? { name: e.dependency, fix: "Check that it runs and is reachable." }
  const where =
    e.at !== undefined
      ? Effect.succeed(Option.some(e.at))
      : dependency.configured === undefined
        ? Effect.succeedNone
        : Effect.option(Effect.map(dependency.configured, (url) => maskUrl(Redacted.value(url))))
  return Effect.map(where, (at) => {
    const place = Option.match(at, { onNone: () => "", onSome: (a) => ` at ${a}` })
    const why = e.reason === undefined ? "" : ` (${e.reason})`
    return `${dependency.name}${place} is unreachable${why}. ${dependency.fix}`
  })
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" || typeof value === "number" ? String(value) : undefined

const listenFixes: Record<string, string> = {
  EADDRINUSE:
    "the address is already in use (another SwiftPay, or another program, holds the port). Stop it, or set PORT (WORKER_HEALTH_PORT for a worker) to a free port.",
  EACCES: "permission denied (ports below 1024 need privileges). Set PORT to a port above 1023.",
  EADDRNOTAVAIL:
    "no interface of this machine has that address. Set HOST to one of its addresses, 127.0.0.1 or 0.0.0.0.",
  ENOTFOUND: "HOST does not resolve to an address. Set HOST to an address of this machine, 127.0.0.1 or 0.0.0.0."
}

const cannotListen = (e: HttpServerError.ServeError): string => {
  const cause: unknown = e.cause
  const field = (key: string) => (Predicate.hasProperty(cause, key) ? text(cause[key]) : undefined)
  const code = field("code")
  const host = field("address") ?? field("hostname")
  const port = field("port")
  const where =
    host === undefined ? "" : ` on ${host.includes(":") ? `[${host}]` : host}${port === undefined ? "" : `:${port}`}`
  const fix = code === undefined ? undefined : listenFixes[code]
  return `cannot listen${where}: ${fix ?? `${describeCause(cause)}.`}`
}

/**
 * One line for a person, saying what failed, where, and what to do, for the
 * failures start-up is known to meet; None for anything else (a bug: printed whole).
 */
export const describeStartupFailure = (error: unknown): Effect.Effect<Option.Option<string>> =>
  error instanceof ServiceUnavailable
    ? Effect.asSome(unreachable(error))
    : error instanceof HttpServerError.ServeError
      ? Effect.succeedSome(cannotListen(error))
      : Effect.succeedNone
