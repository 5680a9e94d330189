import { Effect, Layer, Option } from "effect"
import { RailBook, type RailCall, type RailDecision, type ScheduledReturn, STATEMENT_LIMIT } from "../RailBook.js"

/** Books in this process only: enough for `npm start` and tests of one process. */
export const make = Effect.sync(() => {
  const decisions = new Map<string, RailDecision>()
  const calls: Array<RailCall> = []
  const returns = new Map<string, number>()
  return RailBook.of({
    // one synchronous step: no other fiber can decide the same key in between
    decide: (key, decision) =>
      Effect.sync(() => {
        const first = decisions.get(key)
        if (first !== undefined) return { decision: first, fresh: false }
        decisions.set(key, decision)
        return { decision, fresh: true }
      }),
    lookup: (key) => Effect.sync(() => Option.fromNullable(decisions.get(key))),
    record: (call) =>
      Effect.sync(() => {
        calls.push(call)
        // a long-running process keeps the most recent calls only
        if (calls.length > STATEMENT_LIMIT * 2) calls.splice(0, STATEMENT_LIMIT)
      }),
    statement: Effect.sync(() => [...calls]),
    scheduleReturn: (transactionId, dueAt) =>
      Effect.sync(() => {
        if (!returns.has(transactionId)) returns.set(transactionId, dueAt)
      }),
    dueReturns: (now, limit) =>
      Effect.sync(() =>
        [...returns]
          .filter(([, dueAt]) => dueAt <= now)
          .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1))
          .slice(0, limit)
          .map(([transactionId, dueAt]): ScheduledReturn => ({ transactionId, dueAt }))
      ),
    clearReturn: (transactionId) =>
      Effect.sync(() => {
        returns.delete(transactionId)
      })
  })
})

export const layer: Layer.Layer<RailBook> = Layer.effect(RailBook, make)
