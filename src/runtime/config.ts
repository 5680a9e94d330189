import { isIP } from "node:net"
import { Array as Arr, Config, ConfigError, Effect, Layer, Option } from "effect"
import { formatMinor } from "../domain/money.js"
import { Settings } from "../settings.js"

export type RuntimeName = "embedded" | "gateway" | "worker"

/** Where each runtime listens when HOST is unset: embedded is a development tool, the others run behind a network. */
export const defaultHost = (runtime: RuntimeName): string | undefined =>
  runtime === "embedded" ? "127.0.0.1" : undefined

export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."))

/** A rule between settings, checked only once each of its inputs parses (their own errors are reported already). */
const rule =
  <A>(inputs: Config.Config<A>, variable: string, problem: (a: A) => string | null) =>
  (): Effect.Effect<void, ConfigError.ConfigError> =>
    Effect.flatMap(Effect.option(inputs), (a) => {
      const message = Option.isSome(a) ? problem(a.value) : null
      return message === null ? Effect.void : Effect.fail(ConfigError.InvalidData([variable], message))
    })

const payoutRange = rule(
  Config.all({ min: Settings.minPayoutMinor, max: Settings.maxPayoutMinor }),
  "MIN_PAYOUT_AMOUNT",
  ({ min, max }) =>
    min === 0
      ? "must be more than 0"
      : min > max
        ? `${formatMinor(min)} is more than MAX_PAYOUT_AMOUNT (${formatMinor(max)}): no amount could be paid out`
        : null
)

const leaseOutlastsLockWait = rule(
  Config.all({ lease: Settings.idempotencyLeaseMs, delay: Settings.lockRetryDelayMs, count: Settings.lockRetryCount }),
  "IDEMPOTENCY_LEASE_MS",
  ({ lease, delay, count }) =>
    lease > delay * count
      ? null
      : `${lease} ms is not longer than a request may wait for its lock (LOCK_RETRY_COUNT × LOCK_RETRY_DELAY_MS = ${delay * count} ms): a retry would take over the key of a request still running`
)

/** The development secret is in the source: only this machine may reach a server that trusts it. */
const developmentSecretOnLoopback = rule(
  Config.all({ host: Settings.host, secret: Settings.jwtSecret }),
  "HOST",
  ({ host, secret }) => {
    const bound = Option.getOrElse(host, () => "127.0.0.1")
    return Option.isNone(secret) && !isLoopback(bound)
      ? `${bound} is reachable from other machines, but JWT_SECRET is unset and the published development secret would sign tokens (anyone could mint an admin token): set JWT_SECRET (at least 32 characters) or bind HOST=127.0.0.1`
      : null
  }
)

const secretRequired = rule(Settings.jwtSecret, "JWT_SECRET", (secret) =>
  Option.isNone(secret) ? "must be set (HS256 key for bearer tokens, at least 32 characters)" : null
)

const { mongoUri, rabbitUrl, otlpEndpoint, redis, workerHealthPort, jwtSecret, ...common } = Settings
const connections = { mongoUri, rabbitUrl, otlpEndpoint, redis }

const checks: Record<RuntimeName, ReadonlyArray<() => Effect.Effect<unknown, ConfigError.ConfigError>>> = {
  embedded: [() => Config.all({ ...common, jwtSecret }), developmentSecretOnLoopback],
  gateway: [() => Config.all({ ...common, jwtSecret, ...connections }), secretRequired],
  worker: [() => Config.all({ ...common, ...connections, workerHealthPort })]
}
// No rule ties RECOVERY_IDLE_MS to the rail's delay: a live attempt renews its lease, so Recovery never races it.
const rules = [payoutRange, leaseOutlastsLockWait]

/** Every setting the runtime reads and every rule between them, checked at once: one error listing each problem. */
export const check = (runtime: RuntimeName): Effect.Effect<void, ConfigError.ConfigError> =>
  Effect.all(
    [...checks[runtime], ...rules].map((c) => c()),
    { mode: "validate", discard: true }
  ).pipe(
    Effect.mapError((errors) => {
      const found = Arr.getSomes(errors)
      return Arr.isNonEmptyArray(found)
        ? Arr.reduce(Arr.tailNonEmpty(found), Arr.headNonEmpty(found), ConfigError.And)
        : ConfigError.InvalidData([], "invalid configuration")
    })
  )

/** Build this before anything else of the runtime, so the first bad setting is not reported alone. */
export const layer = (runtime: RuntimeName) => Layer.effectDiscard(check(runtime))
