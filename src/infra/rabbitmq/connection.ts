import * as amqp from "amqplib"
import { Cause, Deferred, Effect, Exit, Option, Redacted, Ref, Schedule, type Scope } from "effect"
import { ServiceUnavailable } from "../../domain/errors.js"

export interface AmqpConnectOptions {
  readonly url: Redacted.Redacted<string>
  /** Shown by `rabbitmqctl list_connections client_properties`. */
  readonly connectionName?: string | undefined
  /** Attempts for the first connection; the layer fails with ServiceUnavailable when it gives up. */
  readonly connectRetry?: Schedule.Schedule<unknown, unknown> | undefined
  /** Attempts after the broker dropped a live connection (default: forever, capped backoff). */
  readonly reconnect?: Schedule.Schedule<unknown, unknown> | undefined
}

/** One live connection and what `setup` made on it; `closed` completes when it drops. */
export interface Live<A> {
  readonly model: amqp.ChannelModel
  readonly resources: A
  readonly closed: Deferred.Deferred<void>
}

export interface AmqpConnection<A> {
  /** The current connection, waiting through a reconnect; fails only when reconnecting gave up. */
  readonly live: Effect.Effect<Live<A>, ServiceUnavailable>
  /** The current connection if it is up now; fails at once while the broker is known to be down. */
  readonly connected: Effect.Effect<Live<A>, ServiceUnavailable>
}

const backoff = Schedule.exponential("100 millis").pipe(
  Schedule.jittered,
  Schedule.either(Schedule.spaced("5 seconds"))
)
export const defaultConnectRetry: Schedule.Schedule<unknown, unknown> = backoff.pipe(Schedule.upTo("30 seconds"))
export const defaultReconnect: Schedule.Schedule<unknown, unknown> = backoff

/** The broker's own words: Effect.tryPromise wraps them in an UnknownException. */
export const describe = (cause: unknown): string =>
  Cause.isUnknownException(cause) ? describe(cause.error) : cause instanceof Error ? cause.message : String(cause)

export const unavailable = (cause: unknown) =>
  Effect.logDebug(`rabbitmq operation failed: ${describe(cause)}`).pipe(
    Effect.zipRight(new ServiceUnavailable({ dependency: "rabbitmq" }))
  )

const ignore = (close: () => Promise<void>) =>
  Effect.promise(() => close().catch(() => undefined)).pipe(
    // runs in finalizers, which are uninterruptible: without this the timeout could not cut it short
    Effect.interruptible,
    Effect.timeout("5 seconds"),
    Effect.ignore
  )

/**
 * Keeps one connection open: the first with `connectRetry`, then a supervisor
 * fiber reconnects with `reconnect` whenever the broker drops it, running
 * `setup` (topology, channels) on every new connection.
 */
export const make = <A>(
  options: AmqpConnectOptions,
  setup: (model: amqp.ChannelModel) => Promise<A>
): Effect.Effect<AmqpConnection<A>, ServiceUnavailable, Scope.Scope> =>
  Effect.gen(function* () {
    const open = Effect.tryPromise(async () => {
      const model = await amqp.connect(Redacted.value(options.url), {
        clientProperties: { connection_name: options.connectionName ?? "swiftpay" }
      })
      // failures surface through the operations that fail and the `close` event
      model.on("error", () => {})
      try {
        return { model, resources: await setup(model) }
      } catch (error) {
        await model.close().catch(() => undefined)
        throw error
      }
    }).pipe(
      Effect.flatMap(({ model, resources }) =>
        Effect.map(Deferred.make<void>(), (closed): Live<A> => {
          model.once("close", () => Deferred.unsafeDone(closed, Exit.void))
          return { model, resources, closed }
        })
      ),
      Effect.tapError((cause) => Effect.logWarning(`rabbitmq connect failed, retrying: ${describe(cause)}`))
    )

    const first = yield* open.pipe(
      Effect.retry(options.connectRetry ?? defaultConnectRetry),
      Effect.catchAll(unavailable)
    )
    const current = yield* Ref.make(yield* Deferred.make<Live<A>, ServiceUnavailable>())
    yield* Ref.get(current).pipe(Effect.flatMap((d) => Deferred.succeed(d, first)))

    yield* Effect.addFinalizer(() =>
      Ref.get(current).pipe(
        Effect.flatMap(Deferred.poll),
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.void,
            onSome: (attempt) =>
              attempt.pipe(
                Effect.flatMap((live) => ignore(() => live.model.close())),
                Effect.ignore
              )
          })
        )
      )
    )

    const supervise = Effect.gen(function* () {
      const live = yield* Ref.get(current).pipe(Effect.flatMap(Deferred.await))
      yield* Deferred.await(live.closed)
      yield* Effect.logWarning("rabbitmq connection lost, reconnecting")
      const next = yield* Deferred.make<Live<A>, ServiceUnavailable>()
      yield* Ref.set(current, next)
      const reopened = yield* open.pipe(
        Effect.retry(options.reconnect ?? defaultReconnect),
        Effect.catchAll(unavailable)
      )
      yield* Deferred.succeed(next, reopened)
      yield* Effect.logInfo("rabbitmq reconnected")
    })
    yield* supervise.pipe(
      Effect.forever,
      Effect.tapError((error) => Ref.get(current).pipe(Effect.flatMap((d) => Deferred.fail(d, error)))),
      Effect.forkScoped
    )

    const down = new ServiceUnavailable({ dependency: "rabbitmq" })
    const connected = Ref.get(current).pipe(
      Effect.flatMap(Deferred.poll),
      Effect.flatMap(
        Option.match({
          onNone: () => Effect.fail(down),
          onSome: (attempt) =>
            Effect.flatMap(attempt, (live) =>
              Effect.flatMap(Deferred.isDone(live.closed), (gone) => (gone ? Effect.fail(down) : Effect.succeed(live)))
            )
        })
      )
    )
    return { live: Ref.get(current).pipe(Effect.flatMap(Deferred.await)), connected }
  })
