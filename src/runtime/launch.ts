import { NodeRuntime } from "@effect/platform-node"
import { Cause, ConfigError, Console, Effect, Layer, Option } from "effect"

/** Each leaf of a ConfigError as `VARIABLE: what is wrong`. */
export const describeConfigError = (e: ConfigError.ConfigError): ReadonlyArray<string> => {
  switch (e._op) {
    case "And":
    case "Or":
      return [...describeConfigError(e.left), ...describeConfigError(e.right)]
    default:
      return [`${e.path.join("_") || "(root)"}: ${e.message}`]
  }
}

/** Start-up failures a person can read: a bad variable is named, other causes are printed whole. */
const report = <E>(cause: Cause.Cause<E>) => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure) && ConfigError.isConfigError(failure.value)) {
    const lines = describeConfigError(failure.value).map((l) => `  ${l}`)
    return Console.error(["Invalid configuration, not starting:", ...lines].join("\n"))
  }
  return Effect.logError("SwiftPay stopped on an error", cause)
}

/**
 * Runs a runtime layer until SIGINT/SIGTERM (exit 0 once every finalizer has
 * run) or a failure (reported, exit 1).
 */
export const runMain = <A, E>(layer: Layer.Layer<A, E>): void =>
  Layer.launch(layer).pipe(
    Effect.tapErrorCause((cause) => (Cause.isInterruptedOnly(cause) ? Effect.void : report(cause))),
    (program) => NodeRuntime.runMain(program, { disableErrorReporting: true, disablePrettyLogger: true })
  )
