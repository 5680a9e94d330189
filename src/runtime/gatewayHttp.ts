import { Config, Layer } from "effect"
import { SECURITY_HEADERS } from "../http/securityHeaders.js"
import { HttpApiLive } from "../http/server.js"
import { WsHub } from "../infra/socketio/WsHub.js"
import { Settings } from "../settings.js"
import * as HttpServerRuntime from "./httpServer.js"

/**
 * The gateway's edge on one port: the HTTP API, then Socket.IO attached to the
 * same server (docs/architecture.md: after the app is served). Shutdown runs the other way:
 * sockets disconnected, HTTP drained, app unserved, server closed.
 * Outputs NodeServer and HttpServer (for the bound address) and WsHub.
 */
export const layer = (options: HttpServerRuntime.ListenOptions = {}) => {
  const served = HttpServerRuntime.drain(options).pipe(Layer.provide(HttpApiLive))
  const hub = WsHub.layerConfig({
    corsOrigin: Settings.corsOrigin,
    limits: Settings.socketLimits,
    responseHeaders: Config.succeed(SECURITY_HEADERS)
  })
  return hub.pipe(Layer.provide(served), Layer.provideMerge(HttpServerRuntime.layer(options)))
}
