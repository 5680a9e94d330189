import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { it } from "@effect/vitest"
import { Duration, Effect, Layer, Redacted, type Scope, TestClock } from "effect"
import { SignJWT } from "jose"
import { eventIdOf, type PayoutEvent, TransactionId, UserId } from "../../src/domain/index.js"
import { Minor } from "../../src/domain/money.js"
import { SECURITY_HEADERS } from "../../src/http/securityHeaders.js"
import * as JoseJwt from "../../src/infra/jose/jwt.js"
import { NodeServer } from "../../src/infra/node/NodeServer.js"
import { WsHub, type WsHubOptions } from "../../src/infra/socketio/WsHub.js"
import { EventBus } from "../../src/ports/EventBus.js"
import { Jwt } from "../../src/ports/Jwt.js"
import * as MemoryEventBus from "../../src/ports/memory/eventBus.js"
import * as MemoryStore from "../../src/ports/memory/payoutStore.js"
import * as HttpServerRuntime from "../../src/runtime/httpServer.js"

export const SECRET = "test-secret"

/** A trivial Effect app: a plain route, and a WebSocket route of Effect's own (not Socket.IO). */
const app = HttpRouter.empty.pipe(
  HttpRouter.get("/ping", HttpServerResponse.text("pong")),
  HttpRouter.get(
    "/effect-ws",
    Effect.gen(function* () {
      const socket = yield* HttpServerRequest.upgrade
      const write = yield* socket.writer
      yield* socket.runRaw(() => Effect.void, { onOpen: Effect.orDie(write("hello from effect")) })
      return HttpServerResponse.empty()
    }).pipe(Effect.scoped, Effect.orDie)
  )
)

export const NodeServerLive = Layer.sync(NodeServer, () => Http.createServer())

/**
 * The HTTP app served on the shared server, drained as the runtime does: what the
 * runtime provides to WsHub. Without the drain, a client's last polling request
 * arriving once the app is unserved has no listener, and `server.close()` waits
 * for it forever (the test then times out in its teardown).
 */
export const Served = HttpServerRuntime.drain({ drainTimeout: Duration.zero }).pipe(
  Layer.provide(
    HttpServer.serve(app).pipe(
      Layer.provide(
        Layer.unwrapEffect(
          Effect.map(NodeServer, (server) => NodeHttpServer.layer(() => server, { port: 0, host: "127.0.0.1" }))
        )
      )
    )
  )
)

const infraWith = <R>(bus: Layer.Layer<EventBus, never, R>) =>
  Layer.mergeAll(
    NodeServerLive,
    bus,
    MemoryStore.layer,
    JoseJwt.layer({ secret: Redacted.make(SECRET), maxTtlSeconds: 86_400 })
  )

export const Infra = infraWith(MemoryEventBus.layer)

/** The hub on the memory infrastructure; `bus` replaces the memory EventBus. */
export const hubLayer = <R = never>(
  options: WsHubOptions = {},
  bus: Layer.Layer<EventBus, never, R> = MemoryEventBus.layer as Layer.Layer<EventBus, never, R>
) =>
  Layer.provide(WsHub.layer({ responseHeaders: SECURITY_HEADERS, ...options }), Served).pipe(
    Layer.provideMerge(infraWith(bus))
  )

export const HubLive = hubLayer()

export const baseUrl = Effect.map(NodeServer, (server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`)

export const tokenFor = (userId: string, role: "user" | "admin" = "user", ttlSeconds = 60) =>
  Effect.flatMap(Jwt, (jwt) => jwt.sign({ userId: UserId.make(userId), role }, ttlSeconds))

export const expiredToken = (userId: string) =>
  Effect.promise(() =>
    new SignJWT({ role: "user" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SECRET))
  )

const txn = (n: number) => TransactionId.make(`TXN_${n.toString(36).toUpperCase()}_${"00000000000000AB"}`)

/** initiated → processing → completed|failed for one payout of 100.50 from a balance of 10000.00. */
export const lifecycle = (
  userId: UserId,
  n: number,
  outcome: "completed" | "failed"
): readonly [PayoutEvent, PayoutEvent, PayoutEvent] => {
  const base = { transactionId: txn(n), userId, amount: Minor.make(10_050), currency: "USD" as const }
  const at = (step: number) => 1_700_000_000_000 + n * 10 + step
  /** The payout's k-th event (1: initiated, 2: processing, 3: its outcome). */
  const nth = (k: 1 | 2 | 3, fields: Pick<PayoutEvent, "type" | "status"> & Partial<PayoutEvent>): PayoutEvent => ({
    ...base,
    eventId: eventIdOf(userId, n * 3 + k),
    sequence: n * 3 + k,
    timestamp: at(k - 1),
    ...fields
  })
  const last =
    outcome === "completed"
      ? nth(3, { type: "PAYOUT_COMPLETED", status: "completed" })
      : nth(3, {
          type: "PAYOUT_FAILED",
          status: "failed",
          newBalance: Minor.make(1_000_000),
          error: "rail declined"
        })
  return [
    nth(1, { type: "PAYOUT_INITIATED", status: "initiated", newBalance: Minor.make(989_950) }),
    nth(2, { type: "PAYOUT_PROCESSING", status: "processing" }),
    last
  ]
}

export const initiated = (userId: UserId, n: number): PayoutEvent => lifecycle(userId, n, "completed")[0]

export const publishAll = (events: ReadonlyArray<PayoutEvent>) =>
  Effect.flatMap(EventBus, (bus) => Effect.forEach(events, bus.publish, { discard: true }))

type HubTestBody = () => Effect.Effect<void, unknown, Layer.Layer.Success<typeof HubLive> | Scope.Scope>

/** One server, hub and bus per test; clients close with the test's scope, before the server. */
export const hubTest = (name: string, body: HubTestBody, options: WsHubOptions = {}) =>
  it.live(name, () => body().pipe(Effect.scoped, Effect.provide(hubLayer(options))))

/**
 * The same, with the hub on the TestClock (move it with `TestClock.adjust`), set
 * to the real time first: tokens are signed and checked by jose in real time.
 */
export const hubTestClock = (name: string, body: HubTestBody, options: WsHubOptions = {}) =>
  it.effect(name, () =>
    TestClock.setTime(Date.now()).pipe(Effect.zipRight(body().pipe(Effect.scoped, Effect.provide(hubLayer(options)))))
  )
