import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import * as Sender from "../../src/infra/webhooks/sender.js"
import { PRIVATE_ADDRESS } from "../../src/infra/webhooks/urlPolicy.js"
import type { WebhookRequest } from "../../src/ports/WebhookSender.js"

interface Hit {
  readonly method: string | undefined
  readonly path: string | undefined
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/** A receiver on 127.0.0.1 that records every request it gets, then lets `answer` respond. */
const receiver = (answer: (req: Http.IncomingMessage, res: Http.ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<{ server: Http.Server; hits: Array<Hit> }>((resume) => {
      const hits: Array<Hit> = []
      const server = Http.createServer((req, res) => {
        let body = ""
        req.on("data", (chunk: Buffer) => {
          body += chunk.toString()
        })
        req.on("end", () => {
          hits.push({ method: req.method, path: req.url, headers: req.headers, body })
          answer(req, res)
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, hits })))
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  ).pipe(Effect.map(({ server, hits }) => ({ hits, port: (server.address() as AddressInfo).port })))

const status = (code: number, headers: Http.OutgoingHttpHeaders = {}) =>
  receiver((_req, res) => {
    res.writeHead(code, headers)
    res.end("ok")
  })

const open = Sender.make({ timeoutMs: 2_000, allowHttp: true, allowPrivate: true })
const guarded = Sender.make({ timeoutMs: 2_000, allowHttp: true, allowPrivate: false })

const post = (url: string, headers: Record<string, string> = {}): WebhookRequest => ({
  url,
  headers,
  body: JSON.stringify({ type: "payout.completed" })
})

describe("WebhookSender over node http", () => {
  it.scoped("POSTs the body with its headers and answers the receiver's status", () =>
    Effect.gen(function* () {
      const { hits, port } = yield* status(200)
      const answer = yield* open.send(post(`http://127.0.0.1:${port}/hooks?a=1`, { "webhook-id": "msg_1" }))
      expect(answer).toEqual({ status: 200 })
      expect(hits).toHaveLength(1)
      expect(hits[0]).toMatchObject({
        method: "POST",
        path: "/hooks?a=1",
        body: '{"type":"payout.completed"}',
        headers: { "user-agent": "SwiftPay-Webhooks/1.0", "content-type": "application/json", "webhook-id": "msg_1" }
      })
    })
  )

  it.scoped("keeps a content type or user agent it is given", () =>
    Effect.gen(function* () {
      const { hits, port } = yield* status(204)
      const headers = { "Content-Type": "application/cloudevents+json", "User-Agent": "custom" }
      expect(yield* open.send(post(`http://127.0.0.1:${port}/`, headers))).toEqual({ status: 204 })
      expect(hits[0]?.headers).toMatchObject({ "content-type": "application/cloudevents+json", "user-agent": "custom" })
    })
  )

  it.scoped("answers 500 and 410 as statuses, not errors", () =>
    Effect.gen(function* () {
      const failing = yield* status(500)
      const gone = yield* status(410)
      expect(yield* open.send(post(`http://127.0.0.1:${failing.port}/`))).toEqual({ status: 500 })
      expect(yield* open.send(post(`http://127.0.0.1:${gone.port}/`))).toEqual({ status: 410 })
    })
  )

  it.scoped("does not follow a redirect: the 302 is the answer and its target is never hit", () =>
    Effect.gen(function* () {
      const target = yield* status(200)
      const redirecting = yield* status(302, { location: `http://127.0.0.1:${target.port}/elsewhere` })
      expect(yield* open.send(post(`http://127.0.0.1:${redirecting.port}/`))).toEqual({ status: 302 })
      expect(redirecting.hits).toHaveLength(1)
      expect(target.hits).toHaveLength(0)
    })
  )

  it.scoped("fails with `timeout` when the receiver does not answer in time", () =>
    Effect.gen(function* () {
      const { hits, port } = yield* receiver(() => {})
      const quick = Sender.make({ timeoutMs: 200, allowHttp: true, allowPrivate: true })
      const started = Date.now()
      const error = yield* Effect.flip(quick.send(post(`http://127.0.0.1:${port}/`)))
      expect(error).toMatchObject({ _tag: "WebhookSendError", reason: "timeout" })
      expect(Date.now() - started).toBeLessThan(1_500)
      expect(hits).toHaveLength(1)
    })
  )

  it.scoped("reads an endless body only up to the cap, answers the status and drops the connection", () =>
    Effect.gen(function* () {
      const dropped = yield* Deferred.make<void>()
      const chunk = Buffer.alloc(64 * 1024, "x")
      const { port } = yield* receiver((_req, res) => {
        res.writeHead(200, { "content-type": "text/plain" })
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) {}
        }
        res.on("drain", pump)
        res.on("close", () => Deferred.unsafeDone(dropped, Effect.void))
        pump()
      })
      const started = Date.now()
      expect(yield* open.send(post(`http://127.0.0.1:${port}/`))).toEqual({ status: 200 })
      expect(Date.now() - started).toBeLessThan(1_500)
      yield* Deferred.await(dropped)
    })
  )

  it.effect("fails with `network` when the port refuses connections", () =>
    Effect.gen(function* () {
      const port = yield* Effect.scoped(Effect.map(status(200), (r) => r.port))
      const error = yield* Effect.flip(open.send(post(`http://127.0.0.1:${port}/`)))
      expect(error).toMatchObject({ reason: "network", message: "ECONNREFUSED" })
    })
  )

  it.scoped("speaks TLS for https URLs: a plain-http receiver is a `network` failure", () =>
    Effect.gen(function* () {
      const { port } = yield* status(200)
      const error = yield* Effect.flip(open.send(post(`https://127.0.0.1:${port}/`)))
      expect(error.reason).toBe("network")
    })
  )

  it.scoped("interrupting a send aborts its request", () =>
    Effect.gen(function* () {
      const closed = yield* Deferred.make<void>()
      const { hits, port } = yield* receiver((req) => {
        req.socket.on("close", () => Deferred.unsafeDone(closed, Effect.void))
      })
      const fiber = yield* Effect.fork(open.send(post(`http://127.0.0.1:${port}/`)))
      while (hits.length === 0) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      yield* Fiber.interrupt(fiber)
      yield* Deferred.await(closed)
    })
  )
})

describe("WebhookSender without private addresses", () => {
  it.scoped("refuses loopback, private, metadata and unique-local targets before any byte is sent", () =>
    Effect.gen(function* () {
      const { hits, port } = yield* status(200)
      const targets = [
        // localhost is a name: only the connect-time lookup sees it is loopback
        ...[`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::1]:${port}/`],
        ...[
          `http://[::ffff:127.0.0.1]:${port}/`,
          `http://10.0.0.1:${port}/`,
          "http://169.254.169.254/latest/meta-data/"
        ],
        ...["http://100.100.100.200/latest/meta-data/", "http://[fd00:ec2::254]/latest/meta-data/"]
      ]
      for (const url of targets) {
        const error = yield* Effect.flip(guarded.send(post(url)))
        expect(error, url).toMatchObject({ reason: "blocked", message: PRIVATE_ADDRESS })
      }
      expect(hits).toHaveLength(0)
    })
  )

  it.effect("refuses http unless allowed, and URLs with credentials", () =>
    Effect.gen(function* () {
      const httpsOnly = Sender.make({ timeoutMs: 2_000, allowHttp: false, allowPrivate: true })
      expect(yield* Effect.flip(httpsOnly.send(post("http://127.0.0.1:1/")))).toMatchObject({
        reason: "blocked",
        message: "url must use https"
      })
      expect(yield* Effect.flip(open.send(post("http://u:p@127.0.0.1:1/")))).toMatchObject({
        reason: "blocked",
        message: "url must not contain credentials"
      })
    })
  )
})
