import { Config, type ConfigError, Effect, Layer, Option, Schema } from "effect"
import type { Redis } from "ioredis"
import { RailBook, type RailBookShape, RailCall, RailDecision, STATEMENT_LIMIT } from "../../ports/RailBook.js"
import { RedisClient, unavailable } from "./client.js"

export interface RedisRailBookOptions {
  /** Key prefix: `<prefix>decision:<key>`, the list `<prefix>calls`, the sorted set `<prefix>returns`. */
  readonly prefix: string
  /** How long a decision is remembered (real rails keep idempotency keys for a limited time too). */
  readonly retentionMs: number
}

const Decision = Schema.parseJson(RailDecision)
const Call = Schema.parseJson(RailCall)
const redisCall = <A>(f: () => Promise<A>) => Effect.tryPromise(f).pipe(Effect.catchAll(unavailable))

/** The simulated rail's books in Redis: `SET NX` per idempotency key (first decision wins), a capped call list. */
export const make = (redis: Redis, options: RedisRailBookOptions): RailBookShape => {
  const decisionKey = (key: string) => `${options.prefix}decision:${key}`
  const callsKey = `${options.prefix}calls`
  // member: transactionId, score: when the bank reports it returned
  const returnsKey = `${options.prefix}returns`
  const decodeDecision = (raw: string | null) =>
    raw === null ? Effect.succeedNone : Effect.asSome(Effect.orDie(Schema.decode(Decision)(raw)))

  return {
    decide: Effect.fn("RedisRailBook.decide")(function* (key, decision) {
      const encoded = yield* Effect.orDie(Schema.encode(Decision)(decision))
      const set = yield* redisCall(() => redis.set(decisionKey(key), encoded, "PX", options.retentionMs, "NX"))
      if (set === "OK") return { decision, fresh: true }
      const first = yield* decodeDecision(yield* redisCall(() => redis.get(decisionKey(key))))
      // expired between the two calls: this decision stands (nothing else was recorded)
      return { decision: Option.getOrElse(first, () => decision), fresh: Option.isNone(first) }
    }),

    lookup: (key) =>
      Effect.flatMap(
        redisCall(() => redis.get(decisionKey(key))),
        decodeDecision
      ),

    record: (call) =>
      Effect.flatMap(Effect.orDie(Schema.encode(Call)(call)), (line) =>
        redisCall(() => redis.multi().rpush(callsKey, line).ltrim(callsKey, -STATEMENT_LIMIT, -1).exec())
      ).pipe(Effect.asVoid),

    statement: Effect.flatMap(
      redisCall(() => redis.lrange(callsKey, 0, -1)),
      (lines) => Effect.forEach(lines, (line) => Effect.orDie(Schema.decode(Call)(line)))
    ),

    scheduleReturn: (transactionId, dueAt) =>
      redisCall(() => redis.zadd(returnsKey, "NX", dueAt, transactionId)).pipe(Effect.asVoid),

    dueReturns: (now, limit) =>
      Effect.map(
        redisCall(() => redis.zrangebyscore(returnsKey, "-inf", now, "WITHSCORES", "LIMIT", 0, limit)),
        (flat) => {
          const due: Array<{ transactionId: string; dueAt: number }> = []
          for (let i = 0; i + 1 < flat.length; i += 2) {
            due.push({ transactionId: flat[i] as string, dueAt: Number(flat[i + 1]) })
          }
          return due
        }
      ),

    clearReturn: (transactionId) => redisCall(() => redis.zrem(returnsKey, transactionId)).pipe(Effect.asVoid)
  }
}

export const layer = (options: RedisRailBookOptions): Layer.Layer<RailBook, never, RedisClient> =>
  Layer.effect(
    RailBook,
    Effect.map(RedisClient, (redis) => make(redis, options))
  )

export const layerConfig = (
  config: Config.Config.Wrap<RedisRailBookOptions>
): Layer.Layer<RailBook, ConfigError.ConfigError, RedisClient> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
