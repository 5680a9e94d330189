import { OpenApi } from "@effect/platform"
import { Effect, Either, Metric, MetricBoundaries } from "effect"
import { describe, expect, it } from "vitest"
import {
  ConcurrentRequest,
  Forbidden,
  IdempotencyKeyInUse,
  IdempotencyKeyReused,
  InsufficientBalance,
  RateLimitExceeded,
  ServiceUnavailable,
  TransactionId,
  TransactionNotFound,
  UserExists,
  UserNotActive,
  UserNotFound,
  ValidationError
} from "../../src/domain/index.js"
import { SwiftPayApi } from "../../src/http/api/SwiftPayApi.js"
import { decodeCursor, encodeCursor } from "../../src/http/cursor.js"
import { type DomainError, toApiError } from "../../src/http/errors.js"
import { render } from "../../src/http/prometheus.js"
import { idempotencyKey } from "../../src/http/request.js"
import { routeOf } from "../../src/http/routes.js"

describe("toApiError", () => {
  it.each<[DomainError, number, string]>([
    [new ValidationError({ message: "bad", details: [{ field: "amount", message: "x" }] }), 400, "VALIDATION_ERROR"],
    [new UserNotFound({ userId: "u" }), 404, "USER_NOT_FOUND"],
    [new UserNotActive({ userId: "u", status: "suspended" }), 403, "USER_NOT_ACTIVE"],
    [new UserExists({ userId: "u" }), 409, "USER_EXISTS"],
    [new InsufficientBalance({ available: 1, requested: 2 }), 400, "INSUFFICIENT_BALANCE"],
    [new TransactionNotFound({ transactionId: "t" }), 404, "TRANSACTION_NOT_FOUND"],
    [new ConcurrentRequest({ userId: "u" }), 409, "CONCURRENT_REQUEST"],
    [new IdempotencyKeyInUse({ key: "k" }), 409, "IDEMPOTENCY_KEY_IN_USE"],
    [new IdempotencyKeyReused({ key: "k" }), 422, "IDEMPOTENCY_KEY_REUSED"],
    [new RateLimitExceeded({ scope: "ip", limit: 5, resetMs: 1500 }), 429, "RATE_LIMIT_EXCEEDED"],
    [new RateLimitExceeded({ scope: "user", limit: 5, resetMs: 1500 }), 429, "USER_RATE_LIMIT_EXCEEDED"],
    [new ServiceUnavailable({ dependency: "redis" }), 503, "SERVICE_UNAVAILABLE"],
    [new Forbidden({ reason: "r" }), 403, "FORBIDDEN"]
  ])("%s", (error, status, code) => {
    const api = toApiError(error)
    expect([api.status, api.code]).toEqual([status, code])
    expect(api.message).not.toMatch(/redis|_tag/)
  })

  it("429 carries whole-second Retry-After and RateLimit-*", () => {
    expect(toApiError(new RateLimitExceeded({ scope: "user", limit: 5, resetMs: 1500 })).headers).toEqual({
      "ratelimit-limit": "5",
      "ratelimit-remaining": "0",
      "ratelimit-reset": "2",
      "retry-after": "2"
    })
  })
})

describe("history cursor", () => {
  it("round-trips and is opaque base64url", () => {
    const cursor = { createdAt: 1_795_000_000_000, transactionId: TransactionId.make("TXN_ABC_0123456789ABCDEF") }
    const text = encodeCursor(cursor)
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(Effect.runSync(decodeCursor(text))).toEqual(cursor)
  })

  it.each([
    "",
    "abc",
    "eyJjcmVhdGVkQXQiOi0xfQ",
    Buffer.from('{"createdAt":1,"transactionId":"x"}').toString("base64url")
  ])("refuses %j", (text) => {
    const exit = Effect.runSync(Effect.either(decodeCursor(text)))
    expect(Either.isLeft(exit) && exit.left.code).toBe("VALIDATION_ERROR")
  })
})

describe("Idempotency-Key", () => {
  it.each([
    [undefined, true],
    ["a", true],
    ["k".repeat(255), true],
    ["order 42 ~!", true],
    ["", false],
    ["k".repeat(256), false],
    ["é", false],
    ["line\nbreak", false]
  ])("%j valid: %s", (raw, valid) => {
    expect(Either.isRight(idempotencyKey(raw))).toBe(valid)
  })
})

describe("routeOf", () => {
  it.each([
    ["POST", "/api/payout", "/api/payout"],
    ["GET", "/api/payout/TXN_A_0123456789ABCDEF", "/api/payout/:transactionId"],
    ["GET", "/api/payout/TXN_A_0123456789ABCDEF/audit", "/api/payout/:transactionId/audit"],
    ["GET", "/api/payout/user/bob/history", "/api/payout/user/:userId/history"],
    ["GET", "/api/docs", "/api/docs"],
    ["GET", "/wp-admin/evil", "unmatched"],
    ["DELETE", "/api/payout", "unmatched"],
    // labelled as the router routes them, however spelled
    ["POST", "//API/Payout/", "/api/payout"],
    ["GET", "http://x/%61pi/payout/user/bob/history?limit=1", "/api/payout/user/:userId/history"],
    ["GET", "/api;/payout", "/api"],
    ["HEAD", "/api/health", "/api/health"]
  ])("%s %s → %s", (method, path, route) => {
    expect(routeOf(method, path)).toBe(route)
  })
})

describe("Prometheus rendering", () => {
  it("counters, gauges and cumulative histograms, HELP/TYPE once per name", () => {
    const counter = Metric.counter("t_requests_total", { description: "reqs", incremental: true })
    const histogram = Metric.histogram("t_latency_ms", MetricBoundaries.fromIterable([10, 20, 30]), "lat")
    Effect.runSync(
      Effect.all([
        Metric.update(counter.pipe(Metric.tagged("route", '/a"b')), 2),
        Metric.update(counter.pipe(Metric.tagged("route", "/c")), 1),
        Metric.update(histogram, 5),
        Metric.update(histogram, 15),
        Metric.update(histogram, 500)
      ])
    )
    const text = render(Effect.runSync(Metric.snapshot)).split("\n")
    expect(text.filter((l) => l === "# TYPE t_requests_total counter")).toHaveLength(1)
    expect(text).toContain('t_requests_total{route="/a\\"b"} 2')
    expect(text).toContain('t_requests_total{route="/c"} 1')
    expect(text).toContain('t_latency_ms_bucket{le="10"} 1')
    expect(text).toContain('t_latency_ms_bucket{le="20"} 2')
    expect(text).toContain('t_latency_ms_bucket{le="+Inf"} 3')
    expect(text).toContain("t_latency_ms_count 3")
  })
})

describe("OpenAPI document", () => {
  it("documents the error shape without internal fields", () => {
    const spec = OpenApi.fromApi(SwiftPayApi)
    const text = JSON.stringify(spec)
    expect(spec.paths["/api/payout"]?.post?.responses["202"]).toBeDefined()
    expect(spec.paths["/api/payout"]?.post?.responses["429"]).toBeDefined()
    expect(spec.paths["/api/payout"]?.post?.security).toEqual([{ bearer: [] }])
    expect(spec.components.schemas.Error).toBeDefined()
    expect(text).not.toMatch(/HttpApiDecodeError|"_tag"/)
  })
})
