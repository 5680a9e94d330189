import { randomUUID } from "node:crypto"
import * as Http from "node:http"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Duration, Effect, Layer, Option, Runtime } from "effect"
import { answerParserErrors } from "../http/clientError.js"
import { NodeServer } from "../infra/node/NodeServer.js"
import { Settings } from "../settings.js"

export interface ListenOptions {
  /** Overrides PORT; 0 picks a free port (read it back with `boundPort`). */
  readonly port?: number | undefined
  /** Overrides HOST. */
  readonly host?: string | undefined
  /** Where to listen when neither `host` nor HOST is given; unset: every interface. */
  readonly defaultHost?: string | undefined
  /** How long shutdown waits for in-flight requests before it cuts connections. */
  readonly drainTimeout?: Duration.DurationInput | undefined
}

/**
 * The node `http.Server`, created here so Socket.IO can share it (docs/architecture.md),
 * served by Effect's HttpServer on HOST:PORT. Provides NodeServer, HttpServer and
 * the platform services the router needs.
 */
export const layer = (options: ListenOptions = {}) =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const port = options.port ?? (yield* Settings.port)
      const host = options.host ?? Option.getOrUndefined(yield* Settings.host) ?? options.defaultHost
      const server = yield* NodeServer
      return NodeHttpServer.layer(() => server, host === undefined ? { port } : { port, host })
    })
  ).pipe(Layer.provideMerge(nodeServer))

/** The node server, answering what its parser refuses in the API's error shape, each with a Request-Id and a log line. */
const nodeServer = Layer.scoped(
  NodeServer,
  Effect.gen(function* () {
    const server = Http.createServer()
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    yield* answerParserErrors(server, ({ refusal, error }) => {
      const requestId = randomUUID()
      runFork(
        Effect.logInfo("http request refused by the parser").pipe(
          Effect.annotateLogs({ status: refusal.status, code: refusal.code, error: error ?? "unknown", requestId })
        )
      )
      return { "request-id": requestId }
    })
    return server
  })
)

/** The port the server is bound to. */
export const boundPort = HttpServer.addressWith((address) =>
  Effect.succeed(address._tag === "TcpAddress" ? address.port : 0)
)

/**
 * Graceful stop, released before the app is unserved: stop accepting, let
 * in-flight requests finish (bounded), then cut what is left. Build it after
 * the serve layer and before anything that must outlive it.
 */
export const drain = (options: ListenOptions = {}) =>
  Layer.scopedDiscard(
    Effect.flatMap(NodeServer, (server) =>
      Effect.addFinalizer(() =>
        Effect.async<void>((resume) => {
          if (!server.listening) return resume(Effect.void)
          server.close(() => resume(Effect.void))
          server.closeIdleConnections()
        }).pipe(
          // Finalizers run uninterruptibly: without this the timeout could never cut the wait short.
          Effect.interruptible,
          Effect.timeout(options.drainTimeout ?? Duration.seconds(10)),
          Effect.ignore,
          Effect.ensuring(Effect.sync(() => server.closeAllConnections())),
          Effect.withSpan("http.drain")
        )
      )
    )
  )
