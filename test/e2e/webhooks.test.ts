import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type Receiver, startReceiver } from "../webhooks/receiver.js"
import { admin, type Server, startServer, user } from "./harness.js"

/** Local receivers (http on 127.0.0.1) allowed; retries in milliseconds. */
const LOCAL = {
  WEBHOOK_ALLOW_HTTP: "true",
  WEBHOOK_ALLOW_PRIVATE_URLS: "true",
  WEBHOOK_POLL_INTERVAL_MS: "20",
  WEBHOOK_RETRY_BASE_MS: "20",
  WEBHOOK_MAX_ENDPOINTS_PER_USER: "3",
  RELAY_INTERVAL_MS: "50"
}

let server: Server
let root: string
const receivers: Array<Receiver> = []

/** A funded user of this file alone, and its token. */
const newUser = async (id: string) => {
  await server.request("POST", "/api/admin/users", { token: root, body: { userId: id, currency: "USD" } })
  await server.request("POST", `/api/admin/users/${id}/credit`, {
    token: root,
    body: { amount: "100.00", currency: "USD" },
    headers: { "idempotency-key": `fund-${id}` }
  })
  return server.token(user(id))
}

const receiver = async (options: Parameters<typeof startReceiver>[0] = {}) => {
  const r = await startReceiver(options)
  receivers.push(r)
  return r
}

const create = (token: string, body: unknown) => server.request("POST", "/api/webhooks", { token, body })

const endpointOf = (reply: { json: Record<string, unknown> }) =>
  reply.json.endpoint as { id: string; secret: string; status: string } & Record<string, unknown>

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`not within ${timeoutMs} ms: ${what}`)
}

beforeAll(async () => {
  server = await startServer({ config: LOCAL })
  root = await server.token(admin)
})
afterAll(async () => {
  await server.stop()
  await Promise.all(receivers.map((r) => r.close()))
})

describe("Webhook endpoints: /api/webhooks", () => {
  it("create shows the secret once; list, get, patch, rotate and delete", async () => {
    const token = await newUser("wh_crud")
    const made = await create(token, { url: "https://hooks.example.com/a", description: "books" })
    expect(made.status).toBe(201)
    const endpoint = endpointOf(made)
    expect(endpoint).toMatchObject({
      userId: "wh_crud",
      url: "https://hooks.example.com/a",
      events: ["*"],
      status: "enabled",
      description: "books"
    })
    expect(endpoint.id).toMatch(/^we_[0-9a-f]{24}$/)
    expect(made.headers.get("location")).toBe(`/api/webhooks/${endpoint.id}`)
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/)

    const list = await server.request("GET", "/api/webhooks", { token })
    expect(list.status).toBe(200)
    const listed = list.json.endpoints as Array<Record<string, unknown>>
    expect(listed.map((e) => e.id)).toEqual([endpoint.id])
    expect(listed[0]).not.toHaveProperty("secret")
    const got = await server.request("GET", `/api/webhooks/${endpoint.id}`, { token })
    expect(got.status).toBe(200)
    expect(got.json.endpoint).not.toHaveProperty("secret")

    const patched = await server.request("PATCH", `/api/webhooks/${endpoint.id}`, {
      token,
      body: { events: ["PAYOUT_FAILED", "PAYOUT_COMPLETED", "PAYOUT_FAILED"], status: "disabled" }
    })
    expect(patched.status).toBe(200)
    expect(patched.json.endpoint).toMatchObject({
      events: ["PAYOUT_FAILED", "PAYOUT_COMPLETED"],
      status: "disabled",
      disabledReason: "Disabled by its owner"
    })

    const rotated = await server.request("POST", `/api/webhooks/${endpoint.id}/rotate-secret`, { token })
    expect(rotated.status).toBe(200)
    const fresh = endpointOf(rotated)
    expect(fresh.secret).not.toBe(endpoint.secret)
    const overlap = Date.parse(String(fresh.previousSecretExpiresAt)) - Date.now()
    expect(overlap).toBeGreaterThan(23.9 * 3_600_000)
    expect(overlap).toBeLessThanOrEqual(24 * 3_600_000)

    expect((await server.request("DELETE", `/api/webhooks/${endpoint.id}`, { token })).status).toBe(200)
    const gone = await server.request("GET", `/api/webhooks/${endpoint.id}`, { token })
    expect([gone.status, gone.json.code]).toEqual([404, "WEBHOOK_NOT_FOUND"])
    const again = await server.request("DELETE", `/api/webhooks/${endpoint.id}`, { token })
    expect([again.status, again.json.code]).toEqual([404, "WEBHOOK_NOT_FOUND"])
  })

  it("bad input is a 400 naming the field, and nothing is created", async () => {
    const token = await newUser("wh_bad")
    const cases: Array<[unknown, string]> = [
      [{}, "url"],
      [{ url: "" }, "url"],
      [{ url: "not a url" }, "url"],
      [{ url: "ftp://hooks.example.com/x" }, "url"],
      [{ url: "https://hooks.example.com/x", events: [] }, "events"],
      [{ url: "https://hooks.example.com/x", events: ["PAYOUT_BOGUS"] }, "events"],
      [{ url: "https://hooks.example.com/x", description: "x".repeat(501) }, "description"],
      [{ url: `https://hooks.example.com/${"x".repeat(2048)}` }, "url"]
    ]
    for (const [body, field] of cases) {
      const r = await create(token, body)
      expect([r.status, r.json.code], JSON.stringify(body)).toEqual([400, "VALIDATION_ERROR"])
      expect((r.json.details as Array<{ field: string }>).map((d) => d.field)).toContain(field)
    }
    const patch = await server.request("PATCH", "/api/webhooks/we_000000000000000000000000", {
      token,
      body: { status: "paused" }
    })
    expect([patch.status, patch.json.code]).toEqual([400, "VALIDATION_ERROR"])
    const badId = await server.request("GET", "/api/webhooks/nope", { token })
    expect(badId.status).toBe(400)
    expect((await server.request("GET", "/api/webhooks", { token })).json.endpoints).toEqual([])
    expect((await server.request("GET", "/api/webhooks")).status).toBe(401)
  })

  it("a user sees and manages only its own endpoints; an admin anyone's with userId", async () => {
    const alice = await newUser("wh_alice")
    const bob = await newUser("wh_bob")
    const mine = endpointOf(await create(alice, { url: "https://hooks.example.com/alice" }))
    for (const [method, path] of [
      ["GET", `/api/webhooks/${mine.id}`],
      ["PATCH", `/api/webhooks/${mine.id}`],
      ["DELETE", `/api/webhooks/${mine.id}`],
      ["POST", `/api/webhooks/${mine.id}/rotate-secret`],
      ["GET", `/api/webhooks/${mine.id}/deliveries`]
    ] as const) {
      const r = await server.request(method, path, {
        token: bob,
        body: method === "PATCH" ? { status: "disabled" } : undefined
      })
      expect([r.status, r.json.code], `${method} ${path}`).toEqual([404, "WEBHOOK_NOT_FOUND"])
    }
    const forOther = await create(bob, { url: "https://hooks.example.com/x", userId: "wh_alice" })
    expect([forOther.status, forOther.json.code]).toEqual([403, "FORBIDDEN"])
    expect((await server.request("GET", "/api/webhooks?userId=wh_alice", { token: bob })).status).toBe(403)

    const nobody = await create(root, { url: "https://hooks.example.com/x", userId: "wh_nobody_yet" })
    expect([nobody.status, nobody.json.code]).toEqual([404, "USER_NOT_FOUND"])
    const byAdmin = await create(root, { url: "https://hooks.example.com/by-admin", userId: "wh_alice" })
    expect(byAdmin.status).toBe(201)
    const listed = await server.request("GET", "/api/webhooks?userId=wh_alice", { token: root })
    expect((listed.json.endpoints as Array<{ id: string }>).map((e) => e.id)).toEqual([mine.id, endpointOf(byAdmin).id])
    expect((await server.request("GET", `/api/webhooks/${mine.id}`, { token: root })).status).toBe(200)
  })

  it("a user may hold WEBHOOK_MAX_ENDPOINTS_PER_USER endpoints: one more is a 409", async () => {
    const token = await newUser("wh_many")
    for (let i = 0; i < 3; i++)
      expect((await create(token, { url: `https://hooks.example.com/${i}` })).status).toBe(201)
    const over = await create(token, { url: "https://hooks.example.com/3" })
    expect([over.status, over.json.code, over.json.error]).toEqual([
      409,
      "WEBHOOK_LIMIT_REACHED",
      "At most 3 webhook endpoints per user: delete one first"
    ])
  })
})

describe("Webhook delivery to a real receiver", () => {
  it("every event of a payout arrives signed, exactly once per webhook-id, after failed first attempts", async () => {
    const token = await newUser("wh_live")
    const hooks = await receiver({ failFirst: 2 })
    const endpoint = endpointOf(await create(token, { url: hooks.url }))
    hooks.trust(endpoint.secret)

    const payout = await server.request("POST", "/api/payout", { token, body: { userId: "wh_live", amount: "5.00" } })
    expect(payout.status).toBe(202)
    await hooks.waitFor(3)
    expect(hooks.rejected).toEqual([])
    const ids = [1, 2, 3].map((n) => `evt_wh_live_${String(n).padStart(10, "0")}`)
    expect([...hooks.delivered.keys()].sort()).toEqual(ids)
    for (const id of ids) expect(hooks.attempts.get(id)).toBe(3)
    const completed = hooks.delivered.get(ids[2] as string)
    expect(completed?.body).toMatchObject({
      type: "PAYOUT_COMPLETED",
      data: { eventId: ids[2], transactionId: payout.json.transactionId, amount: 5, status: "completed" }
    })

    const page = await server.request("GET", `/api/webhooks/${endpoint.id}/deliveries`, { token })
    expect(page.status).toBe(200)
    const deliveries = page.json.deliveries as Array<{
      eventId: string
      status: string
      attempts: Array<{ attempt: number; httpStatus?: number; nextAttemptAt?: string; durationMs: number }>
    }>
    await until("the last attempt is recorded", async () => {
      const r = await server.request("GET", `/api/webhooks/${endpoint.id}/deliveries`, { token })
      return (r.json.deliveries as Array<{ status: string }>).every((d) => d.status === "delivered")
    })
    expect(deliveries.map((d) => d.eventId).sort()).toEqual(ids)
    const done = (await server.request("GET", `/api/webhooks/${endpoint.id}/deliveries`, { token })).json
      .deliveries as typeof deliveries
    for (const d of done) {
      expect(d.attempts.map((a) => a.httpStatus)).toEqual([500, 500, 204])
      expect(typeof d.attempts[0]?.nextAttemptAt).toBe("string")
      expect(d.attempts[2]?.nextAttemptAt).toBeUndefined()
    }
    const firstPage = await server.request("GET", `/api/webhooks/${endpoint.id}/deliveries?limit=2`, { token })
    const cursor = String(firstPage.json.nextCursor)
    const rest = await server.request("GET", `/api/webhooks/${endpoint.id}/deliveries?limit=2&cursor=${cursor}`, {
      token
    })
    const paged = [...(firstPage.json.deliveries as typeof deliveries), ...(rest.json.deliveries as typeof deliveries)]
    expect(paged.map((d) => d.eventId).sort()).toEqual(ids)
    expect(rest.json.nextCursor).toBeNull()

    // a manual retry sends it once more; the receiver keeps it once
    const retry = await server.request("POST", `/api/webhooks/${endpoint.id}/deliveries/${ids[0]}/retry`, { token })
    expect(retry.status).toBe(202)
    expect(retry.headers.get("location")).toBe(`/api/webhooks/${endpoint.id}/deliveries`)
    await until("the retry arrives", async () => hooks.attempts.get(ids[0] as string) === 4)
    expect(hooks.delivered.size).toBe(3)
    const unknown = await server.request(
      "POST",
      `/api/webhooks/${endpoint.id}/deliveries/evt_wh_live_0000000099/retry`,
      {
        token
      }
    )
    expect([unknown.status, unknown.json.code]).toEqual([404, "DELIVERY_NOT_FOUND"])

    const metrics = String((await server.request("GET", "/metrics")).body)
    const value = (line: RegExp) => Number(line.exec(metrics)?.[1] ?? Number.NaN)
    expect(value(/^swiftpay_webhook_attempts_total\{outcome="retry"\} (\d+)/m)).toBeGreaterThanOrEqual(6)
    expect(value(/^swiftpay_webhook_attempts_total\{outcome="delivered"\} (\d+)/m)).toBeGreaterThanOrEqual(4)
    expect(value(/^swiftpay_webhook_deliveries_total\{status="delivered"\} (\d+)/m)).toBeGreaterThanOrEqual(4)
    expect(value(/^swiftpay_webhook_attempt_duration_ms_count (\d+)/m)).toBeGreaterThanOrEqual(10)
    expect(metrics).toMatch(/^swiftpay_event_relay_lag_seconds\{sink="webhooks"\} [\d.e+-]+$/m)
    expect(metrics).toMatch(/^swiftpay_event_relay_lag_seconds\{sink="bus"\} [\d.e+-]+$/m)
  })

  it("an endpoint that answers 410 Gone is disabled", async () => {
    const token = await newUser("wh_gone")
    const hooks = await receiver({ status: 410 })
    const endpoint = endpointOf(await create(token, { url: hooks.url, events: ["PAYOUT_INITIATED"] }))
    hooks.trust(endpoint.secret)
    await server.request("POST", "/api/payout", { token, body: { userId: "wh_gone", amount: "1.00" } })
    await until("the endpoint is disabled", async () => {
      const r = await server.request("GET", `/api/webhooks/${endpoint.id}`, { token })
      return (r.json.endpoint as { status: string }).status === "disabled"
    })
    const r = await server.request("GET", `/api/webhooks/${endpoint.id}`, { token })
    expect(r.json.endpoint).toMatchObject({ status: "disabled", disabledReason: "The endpoint answered 410 Gone" })
    expect(hooks.hits()).toBe(1)
  })
})

describe("Webhook URLs are checked against SSRF", () => {
  let strict: Server
  beforeAll(async () => {
    strict = await startServer()
  })
  afterAll(() => strict.stop())

  it("refuses http, loopback, private, link-local and metadata addresses unless allowed", async () => {
    const token = await strict.token(user("user_001"))
    for (const url of [
      "http://hooks.example.com/x",
      "https://127.0.0.1/x",
      "https://localhost:8443/x",
      "https://10.1.2.3/x",
      "https://192.168.0.10/x",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/x",
      "https://[::ffff:127.0.0.1]/x",
      "https://user:pass@hooks.example.com/x"
    ]) {
      const r = await strict.request("POST", "/api/webhooks", { token, body: { url } })
      expect([r.status, r.json.code], url).toEqual([400, "VALIDATION_ERROR"])
      expect((r.json.details as Array<{ field: string }>)[0]?.field).toBe("url")
    }
    expect((await strict.request("GET", "/api/webhooks", { token })).json.endpoints).toEqual([])
  })
})
