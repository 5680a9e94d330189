import { NodeRuntime } from "@effect/platform-node"
import { Cause, ConfigError, Console, Effect, Layer, Option } from "effect"
import { describeStartupFailure } from "./startupErrors.js"

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

/**
 * Start-up failures a person can read: every bad variable named, an unreachable
 * dependency or a port that cannot be bound in one line; anything else (a bug) printed whole.
 */
const report = <E>(cause: Cause.Cause<E>) => {
  const failure = Cause.failureOption(cause)
  if (Option.isNone(failure)) return Effect.logError("SwiftPay stopped on an error", cause)
  if (ConfigError.isConfigError(failure.value)) {
    const lines = describeConfigError(failure.value).map((l) => `  ${l}`)
    return Console.error(["Invalid configuration, not starting:", ...lines].join("\n"))
  }
  return Effect.flatMap(
    describeStartupFailure(failure.value),
    Option.match({
      onNone: () => Effect.logError("SwiftPay stopped on an error", cause),
      onSome: (line) => Console.error(`Not starting: ${line}`)
    })
  )
}

/** Runs a program to its end, a failure reported as above (exit 1); SIGINT/SIGTERM interrupt it (exit 0). */
export const runProgram = <A, E>(program: Effect.Effect<A, E>): void =>
  program.pipe(
    Effect.tapErrorCause((cause) => (Cause.isInterruptedOnly(cause) ? Effect.void : report(cause))),
    (p) => NodeRuntime.runMain(p, { disableErrorReporting: true, disablePrettyLogger: true })
  )

/**
 * Runs a runtime layer until SIGINT/SIGTERM (exit 0 once every finalizer has
 * run) or a failure (reported, exit 1).
 */
export const runMain = <A, E>(layer: Layer.Layer<A, E>): void => runProgram(Layer.launch(layer))
