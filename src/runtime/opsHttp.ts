import { Layer } from "effect"
import { HttpOpsLive } from "../http/server.js"
import * as HttpServerRuntime from "./httpServer.js"

/**
 * The worker's small HTTP server: /api/health* and /metrics on PORT, drained
 * on shutdown. Needs HealthChecks and PayoutQueue; outputs NodeServer and HttpServer.
 */
export const layer = (options: HttpServerRuntime.ListenOptions = {}) =>
  HttpServerRuntime.drain(options).pipe(
    Layer.provide(HttpOpsLive),
    Layer.provideMerge(HttpServerRuntime.layer(options))
  )
