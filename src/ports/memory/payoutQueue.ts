import type { Tracer } from "effect"
import {
  Cause,
  Config,
  type ConfigError,
  Context,
  Effect,
  Exit,
  FiberSet,
  Layer,
  Option,
  Queue,
  Ref,
  Schema
} from "effect"
import { type Delivery, PayoutMessage, PayoutQueue, type PayoutQueueShape } from "../PayoutQueue.js"

export interface MemoryQueueOptions {
  /** How long a delivery whose handler failed waits before it comes back. */
  readonly redeliveryDelayMs: number
  /** Deliveries after which a failing message goes to the dead letters. */
  readonly maxDeliveries: number
  /** When the consumer is stopped, in-flight handlers get this long to finish before they are interrupted (and requeued). */
  readonly drainTimeoutMs?: number | undefined
}

export interface DeadLetter {
  readonly raw: unknown
  readonly reason: string
  readonly deliveries: number
}

/** Test handle on the in-memory broker. */
export class MemoryQueue extends Context.Tag("swiftpay/MemoryQueue")<
  MemoryQueue,
  {
    /** Puts any body on the work queue, as a foreign producer could. */
    readonly injectRaw: (raw: unknown) => Effect.Effect<void>
    readonly deadLetters: Effect.Effect<ReadonlyArray<DeadLetter>>
  }
>() {}

interface Envelope {
  readonly raw: unknown
  /** Deliveries that ended in a handler failure or a defect. */
  readonly deliveries: number
  /** A delivery of it was interrupted (its consumer stopped) before it was settled. */
  readonly requeued: boolean
  readonly span: Option.Option<Tracer.AnySpan>
}

/**
 * The broker is an Effect Queue of raw bodies, decoded on delivery; delays are
 * fibers in the layer's scope. A delivery is settled by its handler's exit.
 */
export const make = (options: MemoryQueueOptions) =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const ready = yield* Effect.acquireRelease(Queue.unbounded<Envelope>(), Queue.shutdown)
    const inFlight = yield* Ref.make(0)
    const delayed = yield* Ref.make(0)
    const dead = yield* Ref.make<ReadonlyArray<DeadLetter>>([])
    const decode = Schema.decodeUnknown(PayoutMessage)

    const envelope = (message: PayoutMessage) =>
      Effect.all({
        raw: Schema.encode(PayoutMessage)(message).pipe(Effect.orDie),
        span: Effect.option(Effect.currentSpan)
      })

    const later = (item: Envelope, delayMs: number) =>
      Ref.update(delayed, (n) => n + 1).pipe(
        Effect.zipRight(
          Effect.forkIn(
            Effect.interruptible(Effect.sleep(delayMs)).pipe(
              Effect.zipRight(Queue.offer(ready, item)),
              Effect.ensuring(Ref.update(delayed, (n) => n - 1))
            ),
            scope
          )
        ),
        Effect.uninterruptible,
        Effect.asVoid
      )

    const deadLetter = (letter: DeadLetter) =>
      Ref.update(dead, (letters) => [...letters, letter]).pipe(
        Effect.zipRight(Effect.logWarning("payout message dead-lettered", letter.reason))
      )

    const settle = (item: Envelope, exit: Exit.Exit<unknown, unknown>) => {
      if (Exit.isSuccess(exit)) return Effect.void
      if (Cause.isInterruptedOnly(exit.cause)) return Queue.offer(ready, { ...item, requeued: true })
      const failed = { ...item, deliveries: item.deliveries + 1 }
      return failed.deliveries >= options.maxDeliveries
        ? deadLetter({ raw: item.raw, reason: Cause.pretty(exit.cause), deliveries: failed.deliveries })
        : Effect.logWarning("payout handler failed; redelivering", exit.cause).pipe(
            Effect.zipRight(later(failed, options.redeliveryDelayMs))
          )
    }

    const landed = Ref.update(inFlight, (n) => n - 1)

    /** Runs uninterruptibly but for the handler, so every delivery is settled. */
    const deliver =
      <E, R>(handler: (message: PayoutMessage, delivery: Delivery) => Effect.Effect<void, E, R>) =>
      (item: Envelope) =>
        decode(item.raw).pipe(
          Effect.matchEffect({
            onFailure: (error) =>
              Effect.zipRight(
                landed,
                deadLetter({ raw: item.raw, reason: `undecodable: ${error.message}`, deliveries: item.deliveries + 1 })
              ),
            onSuccess: (message) =>
              Effect.interruptible(handler(message, { redelivered: item.requeued || item.deliveries > 0 })).pipe(
                Effect.withSpan("PayoutQueue.deliver", {
                  kind: "consumer",
                  attributes: { transactionId: message.transactionId, redeliveries: item.deliveries },
                  ...Option.match(item.span, { onNone: () => ({}), onSome: (parent) => ({ parent }) })
                }),
                Effect.onExit((exit) => Effect.zipRight(landed, settle(item, exit))),
                Effect.ignore
              )
          })
        )

    const consume: PayoutQueueShape["consume"] = (handler, { concurrency }) =>
      Effect.gen(function* () {
        const permits = yield* Effect.makeSemaphore(concurrency)
        const fibers = yield* FiberSet.make()
        // Released before the FiberSet interrupts what is left: in-flight work may finish first.
        // (Finalizers are uninterruptible: the wait itself must be, for the timeout to cut it short.)
        const drainMs = options.drainTimeoutMs ?? 0
        if (drainMs > 0) {
          yield* Effect.addFinalizer(() =>
            Effect.interruptible(FiberSet.awaitEmpty(fibers)).pipe(Effect.timeout(drainMs), Effect.ignore)
          )
        }
        return yield* Effect.forever(
          Effect.zipRight(
            permits.take(1),
            Effect.uninterruptibleMask((restore) =>
              restore(Queue.take(ready)).pipe(
                Effect.tap(() => Ref.update(inFlight, (n) => n + 1)),
                Effect.flatMap((item) =>
                  FiberSet.run(fibers, Effect.ensuring(deliver(handler)(item), permits.release(1)))
                )
              )
            )
          )
        )
      }).pipe(Effect.scoped)

    const queue: PayoutQueueShape = {
      // in memory, a publish is no call worth a span: the delivery's span links to the publisher's
      publish: (message) =>
        Effect.flatMap(envelope(message), (e) => Queue.offer(ready, { ...e, deliveries: 0, requeued: false })),
      publishDelayed: (message, delayMs) =>
        Effect.flatMap(envelope(message), (e) => later({ ...e, deliveries: 0, requeued: false }, delayMs)),
      consume,
      stats: Effect.all({
        ready: Effect.map(Queue.size(ready), (n) => Math.max(0, n)),
        inFlight: Ref.get(inFlight),
        delayed: Ref.get(delayed),
        dead: Effect.map(Ref.get(dead), (letters) => letters.length)
      })
    }
    const memory = MemoryQueue.of({
      injectRaw: (raw) =>
        Queue.offer(ready, { raw, deliveries: 0, requeued: false, span: Option.none() }).pipe(Effect.asVoid),
      deadLetters: Ref.get(dead)
    })
    return { queue, memory }
  })

export const layer = (options: MemoryQueueOptions): Layer.Layer<PayoutQueue | MemoryQueue> =>
  Layer.scopedContext(
    Effect.map(make(options), ({ queue, memory }) =>
      Context.make(PayoutQueue, queue).pipe(Context.add(MemoryQueue, memory))
    )
  )

export const layerConfig = (
  config: Config.Config.Wrap<MemoryQueueOptions>
): Layer.Layer<PayoutQueue | MemoryQueue, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
