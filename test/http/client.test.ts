import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, Either, Option } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Forbidden, TransactionId, TransactionNotFound, UserId } from "../../src/domain/index.js"
import { render } from "../../src/http/api/errors.js"
import { SwiftPayApi } from "../../src/http/api/SwiftPayApi.js"
import { type Server, startServer, user } from "../e2e/harness.js"

let server: Server

beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.stop())

/** A typed client built from the same contract the server serves. */
const client = (token: string) =>
  HttpApiClient.make(SwiftPayApi, {
    baseUrl: server.base,
    transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(token))
  })

const run = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) =>
  Effect.runPromise(Effect.provide(effect, FetchHttpClient.layer))

describe("HttpApiClient on the contract", () => {
  it("requests a payout and reads it back, typed", async () => {
    const token = await server.token(user("user_001"))
    const result = await run(
      Effect.gen(function* () {
        const api = yield* client(token)
        const accepted = yield* api.payouts.create({
          payload: { userId: UserId.make("user_001"), amount: "42.42" },
          headers: {}
        })
        const found = yield* api.payouts.get({ path: { transactionId: accepted.transactionId } })
        return { accepted, found }
      })
    )
    expect(result.accepted).toMatchObject({ status: "initiated", amount: 42.42 })
    expect(result.found.transaction.transactionId).toBe(result.accepted.transactionId)
  })

  it("errors decode into their class, with their status and code", async () => {
    const token = await server.token(user("user_002"))
    const outcome = await run(
      Effect.gen(function* () {
        const api = yield* client(token)
        return yield* Effect.either(api.payouts.balance({ path: { userId: UserId.make("user_001") }, urlParams: {} }))
      })
    )
    expect(Either.isLeft(outcome)).toBe(true)
    if (Either.isLeft(outcome)) {
      expect(outcome.left).toBeInstanceOf(Forbidden)
      expect(outcome.left).toMatchObject({ message: "You may not act on this resource" })
      expect(Option.getOrThrow(render(outcome.left))).toMatchObject({ status: 403, code: "FORBIDDEN" })
    }
  })

  it("errors of one status decode by their code", async () => {
    const token = await server.token(user("user_002"))
    const outcome = await run(
      Effect.gen(function* () {
        const api = yield* client(token)
        return yield* Effect.either(
          api.payouts.get({ path: { transactionId: TransactionId.make("TXN_0_0000000000000000") } })
        )
      })
    )
    if (Either.isRight(outcome)) expect.fail("expected a 404")
    expect(outcome.left).toBeInstanceOf(TransactionNotFound)
    expect(Option.getOrThrow(render(outcome.left))).toMatchObject({ status: 404, code: "TRANSACTION_NOT_FOUND" })
  })
})
