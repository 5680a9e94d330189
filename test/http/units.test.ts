import { OpenApi } from "@effect/platform"
import { Effect, Either, Metric, MetricBoundaries, Option } from "effect"
import { describe, expect, it } from "vitest"
import {
  ConcurrentRequest,
  Forbidden,
  IdempotencyKeyInUse,
  IdempotencyKeyReused,
  InsufficientBalance,
  ServiceUnavailable,
  TransactionId,
  TransactionNotFound,
  UserExists,
  UserNotActive,
  UserNotFound,
  ValidationError
} from "../../src/domain/index.js"
import {
  InternalError,
  PayloadTooLarge,
  RateLimitExceeded,
  RouteNotFound,
  render as renderError,
  Unauthorized,
  UserRateLimitExceeded
} from "../../src/http/api/errors.js"
import { SwiftPayApi } from "../../src/http/api/SwiftPayApi.js"
import { decodeCursor, encodeCursor } from "../../src/http/cursor.js"
import { render } from "../../src/http/prometheus.js"
import { idempotencyKey } from "../../src/http/request.js"
import { rateLimitHeaders } from "../../src/http/respond.js"
import { routeOf } from "../../src/http/routes.js"

describe("error rendering", () => {
  it.each<[unknown, number, string, string]>([
    [
      new ValidationError({ message: "bad", details: [{ field: "amount", message: "x" }] }),
      400,
      "VALIDATION_ERROR",
      "bad"
    ],
    [new UserNotFound({ userId: "u" }), 404, "USER_NOT_FOUND", "User not found"],
    [new UserNotActive({ userId: "u", status: "suspended" }), 403, "USER_NOT_ACTIVE", "User account is suspended"],
    [new UserExists({ userId: "u" }), 409, "USER_EXISTS", "A user with this userId already exists"],
    [
      new InsufficientBalance({ available: 1, requested: 2 }),
      400,
      "INSUFFICIENT_BALANCE",
      "Insufficient balance for this payout"
    ],
    [new TransactionNotFound({ transactionId: "t" }), 404, "TRANSACTION_NOT_FOUND", "Transaction not found"],
    [
      new ConcurrentRequest({ userId: "u" }),
      409,
      "CONCURRENT_REQUEST",
      "Another request for this user is in progress; retry shortly"
    ],
    [
      new IdempotencyKeyInUse({ key: "k" }),
      409,
      "IDEMPOTENCY_KEY_IN_USE",
      "A request with this Idempotency-Key is still in progress"
    ],
    [
      new IdempotencyKeyReused({ key: "k" }),
      422,
      "IDEMPOTENCY_KEY_REUSED",
      "This Idempotency-Key was used with a different request body"
    ],
    [
      new RateLimitExceeded({ limit: 5, resetMs: 1500 }),
      429,
      "RATE_LIMIT_EXCEEDED",
      "Too many requests, please try again later"
    ],
    [
      new UserRateLimitExceeded({ limit: 5, resetMs: 1500 }),
      429,
      "USER_RATE_LIMIT_EXCEEDED",
      "Too many payout requests for this user"
    ],
    [
      new ServiceUnavailable({ dependency: "redis", reason: "ECONNREFUSED" }),
      503,
      "SERVICE_UNAVAILABLE",
      "Service temporarily unavailable; no money has moved"
    ],
    [new Forbidden(), 403, "FORBIDDEN", "You may not act on this resource"],
    [new Forbidden({ message: "Admin role required" }), 403, "FORBIDDEN", "Admin role required"],
    [new Unauthorized({ message: "Token expired" }), 401, "UNAUTHORIZED", "Token expired"],
    [new RouteNotFound({ path: "/nope" }), 404, "NOT_FOUND", "Route not found"],
    [new PayloadTooLarge(), 413, "PAYLOAD_TOO_LARGE", "Request body must be at most 16384 bytes"],
    [new InternalError(), 500, "INTERNAL_ERROR", "Internal server error"]
  ])("%s", (error, status, code, message) => {
    const rendered = Option.getOrThrow(renderError(error))
    expect([rendered.status, rendered.code, rendered.body.error]).toEqual([status, code, message])
    expect(JSON.stringify(rendered.body)).not.toMatch(/redis|ECONN|_tag/)
  })

  it("the wire shape: details and path only where they belong", () => {
    expect(Option.getOrThrow(renderError(new ValidationError({ message: "bad", details: [] }))).body).toEqual({
      success: false,
      error: "bad",
      code: "VALIDATION_ERROR",
      details: []
    })
    expect(Option.getOrThrow(renderError(new RouteNotFound({ path: "/x" }))).body).toEqual({
      success: false,
      error: "Route not found",
      code: "NOT_FOUND",
      path: "/x"
    })
  })

  it("anything else is not the contract's (answered as a defect)", () => {
    expect(Option.isNone(renderError(new Error("boom")))).toBe(true)
  })

  it("429 carries whole-second Retry-After and RateLimit-*", () => {
    expect(rateLimitHeaders({ limit: 5, remaining: 0, resetMs: 1500 })).toEqual({
      "ratelimit-limit": "5",
      "ratelimit-remaining": "0",
      "ratelimit-reset": "2"
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
    expect(Either.isLeft(exit) && exit.left._tag).toBe("ValidationError")
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
    // one schema per code, each the wire shape with its code as a one-value enum
    const schemas = spec.components.schemas as Record<string, { properties?: Record<string, { enum?: unknown }> }>
    for (const code of [
      "VALIDATION_ERROR",
      "UNAUTHORIZED",
      "FORBIDDEN",
      "USER_RATE_LIMIT_EXCEEDED",
      "INTERNAL_ERROR"
    ]) {
      expect(Object.keys(schemas[code]?.properties ?? {})).toEqual(["success", "error", "code", "details", "path"])
      expect(schemas[code]?.properties?.code?.enum).toEqual([code])
    }
    expect(text).not.toMatch(/HttpApiDecodeError|"_tag"/)
  })
})
