import { Cause, Data, Effect, Exit, Option, Runtime } from "effect"
import {
  type ClientSession,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
  type TransactionOptions
} from "mongodb"
import { ServiceUnavailable } from "../../domain/index.js"
import type { MongoShape } from "./client.js"

/** A driver call failed; it stays raw until a boundary (`classify`, `transact`) decides what it means. */
export class MongoFailure extends Data.TaggedError("MongoFailure")<{ readonly cause: unknown }> {}
/** The document changed under us (a lost compare-and-set): run the step again from a fresh read. */
export class Retry extends Data.TaggedError("Retry") {}

/** A unique index refused a write: a concurrent request created the same thing first. */
export class DuplicateKey extends Data.TaggedError("DuplicateKey")<{ readonly cause: unknown }> {}

export const call = <A>(f: () => Promise<A>): Effect.Effect<A, MongoFailure> =>
  Effect.tryPromise({ try: f, catch: (cause) => new MongoFailure({ cause }) })

/** Codes a replica set answers while it cannot serve (election, shutdown, time limit). */
const unavailableCodes = new Set([50, 89, 91, 189, 262, 6, 7, 9001, 10107, 11600, 11602, 13435, 13436])

const isUnavailable = (e: unknown): boolean =>
  e instanceof MongoNetworkError ||
  e instanceof MongoServerSelectionError ||
  e instanceof MongoNotConnectedError ||
  e instanceof MongoTopologyClosedError ||
  e instanceof MongoWriteConcernError ||
  (e instanceof MongoError &&
    (e.hasErrorLabel("TransientTransactionError") ||
      e.hasErrorLabel("UnknownTransactionCommitResult") ||
      e.hasErrorLabel("RetryableWriteError"))) ||
  (e instanceof MongoServerError && typeof e.code === "number" && unavailableCodes.has(e.code))

const isDuplicateKey = (e: unknown): boolean => e instanceof MongoServerError && e.code === 11000

/** Unreachable or transient → ServiceUnavailable; duplicate key → DuplicateKey; anything else is a bug → defect. */
export const classify = <A, E, R>(
  self: Effect.Effect<A, E | MongoFailure, R>
): Effect.Effect<A, Exclude<E, MongoFailure> | ServiceUnavailable | DuplicateKey, R> =>
  Effect.catchIf(
    self,
    (e): e is MongoFailure => e instanceof MongoFailure,
    (e): Effect.Effect<never, ServiceUnavailable | DuplicateKey> =>
      isUnavailable(e.cause)
        ? Effect.fail(new ServiceUnavailable({ dependency: "mongodb" }))
        : isDuplicateKey(e.cause)
          ? Effect.fail(new DuplicateKey({ cause: e.cause }))
          : Effect.die(e.cause)
  )

/** For queries, where a duplicate key cannot happen. */
export const query = <A, E, R>(
  self: Effect.Effect<A, E | MongoFailure, R>
): Effect.Effect<A, Exclude<E, MongoFailure> | ServiceUnavailable, R> =>
  Effect.catchIf(classify(self), (e): e is DuplicateKey => e instanceof DuplicateKey, Effect.die)

const transactionOptions: TransactionOptions = {
  readConcern: { level: "snapshot" },
  writeConcern: { w: "majority" },
  readPreference: "primary"
}

class Aborted extends Error {}

/**
 * Runs `body` as one MongoDB transaction (`withTransaction`, which retries it on
 * transient errors and retries an unknown commit). A typed failure of `body`
 * aborts the transaction and is returned as is; driver errors are re-thrown raw
 * inside so the driver sees their labels.
 */
export const transact = <A, E>(
  mongo: MongoShape,
  body: (session: ClientSession) => Effect.Effect<A, E | MongoFailure>
): Effect.Effect<A, Exclude<E, MongoFailure> | ServiceUnavailable | DuplicateKey> =>
  Effect.gen(function* () {
    const run = Runtime.runPromiseExit(yield* Effect.runtime<never>())
    const last: { aborted: Cause.Cause<E | MongoFailure> | undefined } = { aborted: undefined }
    const outcome = yield* Effect.tryPromise({
      try: () =>
        mongo.client.withSession((session) =>
          session.withTransaction(async () => {
            last.aborted = undefined
            const exit = await run(body(session))
            if (Exit.isSuccess(exit)) return exit.value
            const failure = Cause.failureOption(exit.cause)
            if (Option.isSome(failure) && failure.value instanceof MongoFailure) throw failure.value.cause
            last.aborted = exit.cause
            throw new Aborted()
          }, transactionOptions)
        ),
      catch: (cause) => new MongoFailure({ cause })
    }).pipe(Effect.exit)
    if (Exit.isSuccess(outcome)) return outcome.value
    if (last.aborted !== undefined) return yield* Effect.failCause(last.aborted)
    return yield* Effect.failCause(outcome.cause)
  }).pipe(classify)

type Rerun = Retry | DuplicateKey
const isRerun = (e: { readonly _tag: string }): e is Rerun => e._tag === "Retry" || e._tag === "DuplicateKey"

/** A lost compare-and-set or a concurrent insert of the same key reruns the whole step, which then sees the winner. */
export const again = <A, E extends { readonly _tag: string }, R>(self: Effect.Effect<A, E | Rerun, R>) =>
  self.pipe(Effect.retry({ times: 3, while: isRerun }), Effect.catchIf(isRerun, Effect.die))
