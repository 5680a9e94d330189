/**
 * Bench users (created and credited through the admin API), their bearer tokens,
 * and the admin Socket.IO listener that records when each payout completed.
 */
import { setTimeout as sleep } from "node:timers/promises"
import { SignJWT } from "jose"
import { io } from "socket.io-client"
import { api } from "../test/integration/distributed/client.js"

export interface User {
  readonly id: string
  readonly token: string
}

/** An HS256 bearer token, valid 2 h (well under the runtime's JWT_MAX_TTL_SECONDS). */
export const sign = (secret: string, sub: string, role: "user" | "admin" = "user"): Promise<string> =>
  new SignJWT({ role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(secret))

/** One JSON call with a bearer token: the distributed test's client, reused. */
export const call = (base: string, bearer: string, method: "GET" | "POST", path: string, body?: unknown) =>
  api(base, bearer)(method, path, body)

/** `fn` over `items`, at most `width` at a time, results in order. */
export const pool = async <A, B>(items: ReadonlyArray<A>, width: number, fn: (a: A) => Promise<B>) => {
  const out: Array<B> = new Array(items.length)
  let next = 0
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as A)
  }
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane))
  return out
}

export const createUsers = (base: string, admin: string, secret: string, ids: ReadonlyArray<string>, credit: string) =>
  pool(ids, 8, async (id): Promise<User> => {
    const created = await call(base, admin, "POST", "/api/admin/users", { userId: id, currency: "USD" })
    if (created.status !== 201) throw new Error(`create ${id}: ${created.status} ${JSON.stringify(created.body)}`)
    const credited = await call(base, admin, "POST", `/api/admin/users/${id}/credit`, {
      amount: credit,
      currency: "USD"
    })
    if (credited.status !== 200) throw new Error(`credit ${id}: ${credited.status} ${JSON.stringify(credited.body)}`)
    return { id, token: await sign(secret, id) }
  })

export interface Listener {
  /** transactionId → when its PAYOUT_COMPLETED arrived (performance.now()). */
  readonly completed: Map<string, number>
  readonly failed: () => number
  readonly close: () => void
}

const once = (socket: ReturnType<typeof io>, ok: string, bad: string, ms: number, send?: () => void) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${ok} within ${ms} ms`)), ms)
    socket.once(ok, () => {
      clearTimeout(timer)
      resolve()
    })
    socket.once(bad, (e: unknown) => {
      clearTimeout(timer)
      reject(new Error(`${bad}: ${e instanceof Error ? e.message : JSON.stringify(e)}`))
    })
    send?.()
  })

/** An admin socket subscribed to every bench user's room `user:<id>` (50 rooms a frame). */
export const listen = async (base: string, admin: string, ids: ReadonlyArray<string>): Promise<Listener> => {
  const socket = io(base, { auth: { token: admin }, transports: ["websocket"], reconnection: false, forceNew: true })
  const completed = new Map<string, number>()
  let failed = 0
  socket.on("PAYOUT_COMPLETED", (e: { transactionId?: unknown }) => {
    if (typeof e?.transactionId === "string") completed.set(e.transactionId, performance.now())
  })
  socket.on("PAYOUT_FAILED", () => {
    failed++
  })
  try {
    await once(socket, "connect", "connect_error", 10_000)
    for (let i = 0; i < ids.length; i += 50) {
      const channels = ids.slice(i, i + 50).map((id) => `user:${id}`)
      await once(socket, "subscribed", "subscription_error", 5_000, () => socket.emit("subscribe", { channels }))
      await sleep(60) // under the socket's SOCKET_MAX_FRAMES_PER_SECOND (20)
    }
  } catch (error) {
    socket.close()
    throw error
  }
  return { completed, failed: () => failed, close: () => socket.close() }
}
