import { randomBytes } from "node:crypto"
import * as Http from "node:http"
import { describe, expect } from "@effect/vitest"
import { Effect } from "effect"
import { SECURITY_HEADERS } from "../../src/http/securityHeaders.js"
import { ask, connect, refusal } from "./client.js"
import { baseUrl, hubTest, tokenFor } from "./harness.js"

const huge = "a".repeat(900_000)

const errorOf = (payload: unknown) =>
  typeof payload === "object" && payload !== null && "error" in payload && typeof payload.error === "string"
    ? payload.error
    : ""

/** The response headers of a plain HTTP request. */
const headersOf = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    await response.arrayBuffer()
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      headers[name] = value
    })
    return { status: response.status, headers }
  })

/** The response headers of a WebSocket upgrade to engine.io (101). */
const upgradeHeaders = (url: string) =>
  Effect.async<{ readonly status: number; readonly headers: Http.IncomingHttpHeaders }, Error>((resume) => {
    const request = Http.request(url, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64")
      }
    })
    request.on("upgrade", (response, socket) => {
      socket.destroy()
      resume(Effect.succeed({ status: response.statusCode ?? 0, headers: response.headers }))
    })
    request.on("response", (response) => resume(Effect.succeed({ status: response.statusCode ?? 0, headers: {} })))
    request.on("error", (error) => resume(Effect.fail(error)))
    request.end()
    return Effect.sync(() => request.destroy())
  })

describe("WsHub hardening", () => {
  hubTest("an error frame never echoes more than 100 characters of what the client sent", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const client = yield* connect(url, { token: yield* tokenFor("user_001") })
      const subscribed = yield* ask(client, "subscribe", { channels: [`user:${huge}`] })
      expect(subscribed.event).toBe("subscription_error")
      expect(errorOf(subscribed.payload)).toMatch(/^invalid subscribe frame: channels\.0: /)
      expect(errorOf(subscribed.payload).length).toBeLessThanOrEqual(100)
      const authenticated = yield* ask(client, "authenticate", { userId: huge, token: "t" })
      expect(authenticated.event).toBe("authentication_error")
      expect(errorOf(authenticated.payload).length).toBeLessThanOrEqual(100)
      expect((yield* refusal(url, { token: { [huge]: 1 } })).length).toBeLessThanOrEqual(100)
    })
  )

  hubTest("engine.io's own responses carry the API's security headers", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const handshake = yield* headersOf(`${url}/socket.io/?EIO=4&transport=polling`)
      const unknownSession = yield* headersOf(`${url}/socket.io/?EIO=4&transport=polling&sid=nope`)
      const badTransport = yield* headersOf(`${url}/socket.io/?EIO=4&transport=carrier-pigeon`)
      const upgrade = yield* upgradeHeaders(`${url}/socket.io/?EIO=4&transport=websocket`)
      expect([handshake.status, unknownSession.status, badTransport.status, upgrade.status]).toEqual([
        200, 400, 400, 101
      ])
      for (const response of [handshake, unknownSession, badTransport, upgrade]) {
        expect(response.headers).toMatchObject(SECURITY_HEADERS)
      }
    })
  )

  hubTest(
    "so do engine.io's CORS preflight answers",
    () =>
      Effect.gen(function* () {
        const preflight = yield* headersOf(`${yield* baseUrl}/socket.io/?EIO=4&transport=polling`, {
          method: "OPTIONS",
          headers: { origin: "https://app.example", "access-control-request-method": "POST" }
        })
        expect(preflight.status).toBe(204)
        expect(preflight.headers).toMatchObject(SECURITY_HEADERS)
      }),
    { corsOrigin: "https://app.example" }
  )
})
