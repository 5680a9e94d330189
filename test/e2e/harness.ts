import {
  type ConfigError,
  ConfigProvider,
  Deferred,
  Effect,
  Fiber,
  Layer,
  Logger,
  ManagedRuntime,
  Queue,
  type Tracer
} from "effect"
import { type Actor, type PayoutEvent, type PayoutEventType, UserId } from "../../src/domain/index.js"
import { EventBus } from "../../src/ports/EventBus.js"
import { Jwt } from "../../src/ports/Jwt.js"
import type { MemoryQueue } from "../../src/ports/memory/payoutQueue.js"
import type { MemoryRail } from "../../src/ports/memory/settlementRail.js"
import type { RailBook } from "../../src/ports/RailBook.js"
import * as Embedded from "../../src/runtime/embedded.js"
import { boundPort } from "../../src/runtime/httpServer.js"

/** Fast settlements, generous limits, quiet logs: each test file overrides what it exercises. */
export const TEST_CONFIG: Record<string, string> = {
  LOG_LEVEL: "Error",
  PAYOUT_PROCESSING_DELAY_MS: "10",
  RETRY_DELAY_MS: "10",
  RATE_LIMIT_MAX_REQUESTS: "100000",
  USER_RATE_LIMIT_MAX_REQUESTS: "100000",
  LOCK_RETRY_DELAY_MS: "5"
}

export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: unknown
  readonly json: Record<string, unknown>
}

export interface RequestOptions {
  readonly token?: string | undefined
  readonly body?: unknown
  /** Sent as is, instead of JSON.stringify(body). */
  readonly raw?: string | undefined
  readonly headers?: Record<string, string> | undefined
}

export type TestPorts = Layer.Layer<Embedded.Ports | MemoryRail | MemoryQueue | RailBook, ConfigError.ConfigError>

/** The embedded runtime on a free port (on other ports when given), driven over real HTTP. */
export const startServer = async (
  options: {
    readonly config?: Record<string, string>
    readonly ports?: TestPorts
    /** Sees every log line (at LOG_LEVEL) besides the runtime's own logger. */
    readonly logger?: Logger.Logger<unknown, void>
    readonly tracer?: Tracer.Tracer
  } = {}
) => {
  const provider = ConfigProvider.fromJson({ ...TEST_CONFIG, ...options.config })
  const ports: TestPorts = options.ports ?? Embedded.MemoryPorts
  const observed = Layer.mergeAll(
    options.logger === undefined ? Layer.empty : Logger.add(options.logger),
    options.tracer === undefined ? Layer.empty : Layer.setTracer(options.tracer)
  )
  const layer = Embedded.layer({ ports, port: 0 }).pipe(
    Layer.provide(observed),
    Layer.provide(Layer.setConfigProvider(provider))
  )
  const runtime = ManagedRuntime.make(layer)
  const port = await runtime.runPromise(boundPort)
  const base = `http://127.0.0.1:${port}`

  // Every payout event, from before the first request on.
  const seen: Array<PayoutEvent> = []
  const waiters = new Set<() => void>()
  const live = await runtime.runPromise(Deferred.make<void>())
  const listener = runtime.runFork(
    Effect.scoped(
      Effect.gen(function* () {
        const events = yield* Effect.flatMap(EventBus, (bus) => bus.subscribe)
        yield* Deferred.succeed(live, undefined)
        return yield* Effect.forever(
          Effect.flatMap(Queue.take(events), (event) =>
            Effect.sync(() => {
              seen.push(event)
              for (const wake of waiters) wake()
            })
          )
        )
      })
    )
  )
  await runtime.runPromise(Deferred.await(live))

  const request = async (method: string, path: string, o: RequestOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) }
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`
    const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body))
    if (body !== undefined && headers["content-type"] === undefined) headers["content-type"] = "application/json"
    const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await response.text()
    const parsed: unknown =
      text.length > 0 && /json/.test(response.headers.get("content-type") ?? "") ? JSON.parse(text) : text
    const json = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {}
    return { status: response.status, headers: response.headers, body: parsed, json }
  }

  const token = (actor: Actor, ttlSeconds = 3600) =>
    runtime.runPromise(Effect.flatMap(Jwt, (jwt) => jwt.sign(actor, ttlSeconds)))

  /** Resolves with the first event (already seen or to come) that matches, or rejects after `timeoutMs`. */
  const waitForEvent = (transactionId: string, type: PayoutEventType, timeoutMs = 10_000) =>
    new Promise<PayoutEvent>((resolve, reject) => {
      const check = () => {
        const found = seen.find((e) => e.transactionId === transactionId && e.type === type)
        if (found === undefined) return false
        waiters.delete(check)
        clearTimeout(timer)
        resolve(found)
        return true
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`no ${type} for ${transactionId} within ${timeoutMs} ms`))
      }, timeoutMs)
      if (!check()) waiters.add(check)
    })

  const stop = async () => {
    await runtime.runPromise(Fiber.interrupt(listener))
    await runtime.dispose()
  }

  return { runtime, port, base, request, token, waitForEvent, events: seen, stop }
}

export type Server = Awaited<ReturnType<typeof startServer>>

export const user = (id: string): Actor => ({ userId: UserId.make(id), role: "user" })
export const admin: Actor = { userId: UserId.make("admin"), role: "admin" }

/** A user of one test file, created and credited through the admin API; returns its token. */
export const fundedUser = async (server: Server, userId: string, amount = "100.00") => {
  const root = await server.token(admin)
  await server.request("POST", "/api/admin/users", { token: root, body: { userId, currency: "USD" } })
  await server.request("POST", `/api/admin/users/${userId}/credit`, {
    token: root,
    body: { amount, currency: "USD" },
    headers: { "idempotency-key": `fund-${userId}` }
  })
  return server.token(user(userId))
}
