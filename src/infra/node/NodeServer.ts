import type * as Http from "node:http"
import { Context } from "effect"

/**
 * The node `http.Server` the API is served on. Socket.IO attaches to the same
 * server (see the WsHub layer), so the runtime creates it and shares it here.
 */
export class NodeServer extends Context.Tag("swiftpay/NodeServer")<NodeServer, Http.Server>() {}
