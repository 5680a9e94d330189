import { Clock, Config, Context, Effect, Layer, Metric, Option } from "effect"
import {
  type Actor,
  type Authorized,
  actFor,
  type BatchPayout,
  type BatchRejected,
  batchUsers,
  type ConcurrentRequest,
  type Currency,
  type Forbidden,
  type IdempotencyKeyInUse,
  type IdempotencyKeyReused,
  IdempotencyScope,
  type IntakeError,
  inCurrencyOf,
  type Minor,
  makeBatchId,
  makeTransactionId,
  type PayoutBatch,
  type PayoutRequest,
  type PayoutScope,
  parseBatchRequest,
  parsePayoutRequest,
  ServiceUnavailable,
  scheduleIssue,
  type Transaction,
  type TransactionId,
  type User,
  type UserId,
  UserNotActive,
  UserNotFound,
  ValidationError,
  VelocityLimited
} from "../domain/index.js"
import { EventBus } from "../ports/EventBus.js"
import { EventLog } from "../ports/EventLog.js"
import { PayoutQueue } from "../ports/PayoutQueue.js"
import { type IdempotencyTicket, PayoutStore } from "../ports/PayoutStore.js"
import { RateLimiter } from "../ports/RateLimiter.js"
import { UserLock } from "../ports/UserLock.js"
import { Settings } from "../settings.js"
import { announce } from "./announce.js"
import * as CircuitBreaker from "./circuitBreaker.js"
import { makeDeliveredMarker } from "./deliveredMarker.js"
import { fingerprint, withIdempotency } from "./idempotency.js"
import { intakeLatency, intakePublishDeferred, payoutsAccepted, velocityRefusals } from "./metrics.js"

/** Keys are scoped per target user and actor: an admin's keys for a user are the admin's own. */
export const idempotencyScope = (actor: Actor, userId: UserId): PayoutScope =>
  IdempotencyScope.payout(userId, actor.role === "admin" ? actor.userId : null)

export interface IntakeRequest {
  readonly actor: Actor
  /** The untrusted JSON body. */
  readonly body: unknown
  readonly idempotencyKey: string | null
}

export interface Accepted {
  readonly transactionId: TransactionId
  /** `scheduled` when the request named a time: settlement starts then. */
  readonly status: "initiated" | "scheduled"
  readonly scheduledFor: number | null
  /** Whose money: the body's userId (an admin's actor is someone else). */
  readonly userId: UserId
  readonly amount: Minor
  readonly currency: Currency
  /** True when this answers an earlier request with the same Idempotency-Key. */
  readonly replayed: boolean
}

/** A batch as the intake answers it: the record, its payouts as made (or now, on a replay). */
export interface BatchAccepted {
  readonly batch: PayoutBatch
  readonly transactions: ReadonlyArray<Transaction>
  /** True when this answers an earlier request with the same Idempotency-Key. */
  readonly replayed: boolean
}

export type BatchIntakeError =
  | ValidationError
  | BatchRejected
  | ConcurrentRequest
  | IdempotencyKeyInUse
  | IdempotencyKeyReused
  | ServiceUnavailable

export interface PayoutIntakeShape {
  readonly submit: (request: IntakeRequest) => Effect.Effect<Accepted, IntakeError | Forbidden>
  /**
   * validate every item as a single body → ownership of every item → the users' currencies →
   * idempotency (one key, scoped to the actor) → every user's lease → `store.reserveBatch` (one
   * atomic step) → the events → each accepted payout queued, as `submit` does for one.
   */
  readonly submitBatch: (request: IntakeRequest) => Effect.Effect<BatchAccepted, BatchIntakeError | Forbidden>
}

const make = Effect.gen(function* () {
  const store = yield* PayoutStore
  const lock = yield* UserLock
  const queue = yield* PayoutQueue
  const bus = yield* EventBus
  const mark = yield* makeDeliveredMarker(yield* EventLog, "bus")
  const config = yield* Config.all({
    minMinor: Settings.minPayoutMinor,
    maxMinor: Settings.maxPayoutMinor,
    leaseMs: Settings.idempotencyLeaseMs,
    publishTimeoutMs: Settings.queuePublishTimeoutMs,
    breakerCooldownMs: Settings.queueBreakerCooldownMs,
    scheduleMaxDays: Settings.scheduleMaxDays,
    velocityMax: Settings.velocityMaxPayouts,
    velocityWindowSeconds: Settings.velocityWindowSeconds
  })
  const limiter = yield* RateLimiter

  /**
   * More than VELOCITY_MAX_PAYOUTS reserves tried for one account within the
   * window: refused before the store, and logged for review (a burst of payouts
   * is what a stolen token looks like). Replays of a key do not count.
   */
  const velocityCheck = (userId: UserId, actor: Actor) =>
    config.velocityMax === 0
      ? Effect.void
      : Effect.flatMap(
          limiter.hit(`velocity:${userId}`, config.velocityMax, config.velocityWindowSeconds * 1000),
          (decision) =>
            decision.allowed
              ? Effect.void
              : Effect.zipRight(
                  Effect.zipRight(
                    Effect.logWarning("velocity limit: payout refused, for review", {
                      userId,
                      actor: actor.userId,
                      limit: decision.limit,
                      windowSeconds: config.velocityWindowSeconds
                    }),
                    Metric.increment(velocityRefusals)
                  ),
                  new VelocityLimited({ limit: decision.limit, resetMs: decision.resetMs })
                )
        )
  // While the broker is down or slow, intake does not wait for it: the payout is durable and Recovery queues it.
  const broker = yield* CircuitBreaker.make({ name: "queue", threshold: 1, cooldownMs: config.breakerCooldownMs })

  const enqueue = (t: Transaction) =>
    broker
      .run(
        queue.publish({ transactionId: t.transactionId, userId: t.userId, expectedAttempts: 0 }).pipe(
          // the timeout must be able to stop the publish inside the accept step's uninterruptible part
          Effect.interruptible,
          Effect.timeoutFail({
            duration: config.publishTimeoutMs,
            onTimeout: () => new ServiceUnavailable({ dependency: "rabbitmq" })
          })
        )
      )
      .pipe(
        Effect.catchAll((e) =>
          Effect.all([
            Effect.logWarning("payout accepted, its queue message is left to recovery", { reason: e._tag }),
            Metric.increment(intakePublishDeferred),
            Effect.ignore(store.markUnqueued(t.transactionId))
          ])
        )
      )

  /**
   * Under the user's lease (the store's conditional reserve is what really guards
   * the money): reserve, then PAYOUT_INITIATED, then the queue message, in that
   * order so no worker event can overtake it. Once the reserve has returned,
   * nothing interrupts the rest, not even a client that goes away: a reserved
   * payout is announced and queued at once, never left for Recovery to find.
   * (The reserve itself stays interruptible, so a shutdown is not held up by a
   * store that does not answer; such a payout is Recovery's.)
   */
  const accept = (
    actor: Actor,
    account: Authorized<UserId>,
    request: PayoutRequest,
    ticket: IdempotencyTicket | null
  ) =>
    lock.withLease(
      account.target,
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(
          restore(
            velocityCheck(account.target, actor).pipe(
              Effect.zipRight(makeTransactionId),
              Effect.flatMap((transactionId) =>
                store.reserve({ ...request, userId: account.target, transactionId }, ticket)
              )
            )
          ),
          // a scheduled payout waits in the store: Recovery queues it when it is due
          ({ transaction: t, events }) =>
            Effect.as(
              Effect.zipRight(announce(bus, mark, events), t._tag === "scheduled" ? Effect.void : enqueue(t)),
              t
            )
        )
      )
    )

  /** Every user's lease, always taken in the same (sorted) order so that two batches cannot deadlock. */
  const withLeases = <A, E, R>(userIds: ReadonlyArray<UserId>, use: Effect.Effect<A, E, R>) =>
    [...userIds]
      .sort()
      .reduceRight<Effect.Effect<A, E | ConcurrentRequest | ServiceUnavailable, R>>(
        (inner, userId) => lock.withLease(userId, inner),
        use
      )

  /** As `accept`, for a batch: once the store has answered, its events go out and its payouts are queued. */
  const acceptBatch = (
    accounts: ReadonlyArray<Authorized<UserId>>,
    actor: Actor,
    atomic: boolean,
    items: ReadonlyArray<Omit<BatchPayout, "transactionId">>,
    ticket: IdempotencyTicket | null
  ) =>
    withLeases(
      batchUsers(accounts.map((a) => ({ userId: a.target }))),
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(
          restore(
            Effect.gen(function* () {
              const batchId = yield* makeBatchId
              const payouts = yield* Effect.forEach(items, (item) =>
                Effect.map(makeTransactionId, (transactionId): BatchPayout => ({ ...item, transactionId }))
              )
              return yield* store.reserveBatch({ batchId, createdBy: actor.userId, atomic, items: payouts }, ticket)
            })
          ),
          (reserved) =>
            Effect.as(
              Effect.zipRight(
                announce(bus, mark, reserved.events),
                Effect.forEach(
                  reserved.transactions.filter((t) => t._tag !== "scheduled"),
                  enqueue,
                  { discard: true }
                )
              ),
              reserved
            )
        )
      )
    )

  const submitBatch = Effect.fn("PayoutIntake.submitBatch")(function* ({ actor, body, idempotencyKey }: IntakeRequest) {
    const input = yield* parseBatchRequest(
      body,
      config,
      yield* Clock.currentTimeMillis,
      config.scheduleMaxDays * 86_400_000
    )
    // one item for someone else refuses the whole batch, before anything is read
    const accounts = yield* Effect.forEach(input.items, (item) => actFor(actor, item.userId))
    const currencies = new Map<string, Currency>()
    for (const account of accounts) {
      if (currencies.has(account.target)) continue
      const user = yield* store.getUser(account.target)
      if (Option.isSome(user)) currencies.set(account.target, user.value.currency)
    }
    // the user's own currency when none is named (an unknown user's item is refused by the store)
    const items = input.items.map((item) => ({
      ...item,
      currency: item.currency ?? currencies.get(item.userId) ?? null
    }))
    const claim =
      idempotencyKey === null
        ? null
        : {
            scope: IdempotencyScope.batch(actor.userId),
            key: idempotencyKey,
            fingerprint: fingerprint({ atomic: input.atomic, items })
          }
    const outcome = yield* withIdempotency(store, claim, config.leaseMs, (ticket) =>
      acceptBatch(accounts, actor, input.atomic, items, ticket)
    )
    if (outcome._tag === "Replay") {
      const found = yield* store.getBatch(outcome.result.batchId)
      if (Option.isNone(found)) return yield* Effect.dieMessage("a batch key remembers a batch the store lacks")
      return { ...found.value, replayed: true } satisfies BatchAccepted
    }
    yield* Effect.annotateCurrentSpan({ batchId: outcome.value.batch.batchId })
    return {
      batch: outcome.value.batch,
      transactions: outcome.value.transactions,
      replayed: false
    } satisfies BatchAccepted
  })

  /** Reading the user is reading the account: it takes the policy's proof. */
  const activeUser = ({ target: userId }: Authorized<UserId>) =>
    Effect.flatMap(
      store.getUser(userId),
      (user): Effect.Effect<User, UserNotFound | UserNotActive> =>
        Option.isNone(user)
          ? Effect.fail(new UserNotFound({ userId }))
          : user.value.status !== "active"
            ? Effect.fail(new UserNotActive({ userId, status: user.value.status }))
            : Effect.succeed(user.value)
    )

  const submit = Effect.fn("PayoutIntake.submit")(function* ({ actor, body, idempotencyKey }: IntakeRequest) {
    const input = yield* parsePayoutRequest(body, config)
    const scheduleProblem = scheduleIssue(
      input.scheduledFor,
      yield* Clock.currentTimeMillis,
      config.scheduleMaxDays * 86_400_000
    )
    if (scheduleProblem !== null) {
      return yield* new ValidationError({
        message: scheduleProblem,
        details: [{ field: "scheduledFor", message: scheduleProblem }]
      })
    }
    const account = yield* actFor(actor, input.userId)
    const request = inCurrencyOf(input, (yield* activeUser(account)).currency)

    const claim =
      idempotencyKey === null
        ? null
        : { scope: idempotencyScope(actor, request.userId), key: idempotencyKey, fingerprint: fingerprint(request) }
    const outcome = yield* withIdempotency(store, claim, config.leaseMs, (ticket) =>
      accept(actor, account, request, ticket)
    )
    if (outcome._tag === "Replay") {
      const { transactionId, amount, currency } = outcome.result
      const first = yield* store.getTransaction(transactionId)
      const scheduledFor = Option.isSome(first) && first.value._tag === "scheduled" ? first.value.scheduledFor : null
      return {
        transactionId,
        amount,
        currency,
        userId: request.userId,
        status: scheduledFor === null && request.scheduledFor === null ? "initiated" : "scheduled",
        scheduledFor: scheduledFor ?? request.scheduledFor,
        replayed: true
      } satisfies Accepted
    }
    const t = outcome.value
    yield* Effect.annotateCurrentSpan({ transactionId: t.transactionId, userId: t.userId })
    return {
      transactionId: t.transactionId,
      userId: t.userId,
      amount: t.amount,
      currency: t.currency,
      status: t._tag === "scheduled" ? "scheduled" : "initiated",
      scheduledFor: t._tag === "scheduled" ? t.scheduledFor : null,
      replayed: false
    } satisfies Accepted
  })

  return {
    submit: (request) =>
      submit(request).pipe(
        Metric.trackDuration(intakeLatency),
        Effect.tap((a) => (a.replayed ? Effect.void : Metric.increment(payoutsAccepted)))
      ),
    submitBatch: (request) =>
      submitBatch(request).pipe(
        Effect.tap((a) => (a.replayed ? Effect.void : Metric.incrementBy(payoutsAccepted, a.transactions.length)))
      )
  } satisfies PayoutIntakeShape
})

/**
 * The gateway's use case (after the HTTP edge's per-user rate limit): validate → ownership → user →
 * idempotency → user lease →
 * atomic reserve → PAYOUT_INITIATED → publish (bounded by QUEUE_PUBLISH_TIMEOUT_MS,
 * skipped while the breaker is open). Once reserved, the payout is durable: when
 * the publish does not go through, it is marked for Recovery, which queues it soon.
 */
export class PayoutIntake extends Context.Tag("swiftpay/PayoutIntake")<PayoutIntake, PayoutIntakeShape>() {
  static readonly layer = Layer.scoped(PayoutIntake, make)
}
