import { setTimeout as sleep } from "node:timers/promises"
import { SignJWT } from "jose"
import { io, type Socket } from "socket.io-client"

export const token = (secret: string, sub: string, role: "user" | "admin" = "user"): Promise<string> =>
  new SignJWT({ role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(secret))

export interface Reply {
  readonly status: number
  readonly body: Record<string, unknown>
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** JSON in, JSON out, against one base URL with one bearer token. */
export const api =
  (base: string, bearer: string) =>
  async (method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<Reply> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { "content-type": "application/json" })
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000)
    })
    const parsed: unknown = await response.json()
    return { status: response.status, body: isRecord(parsed) ? parsed : { value: parsed } }
  }

export interface PayoutFrame {
  readonly event: string
  readonly transactionId: string
  readonly payload: Record<string, unknown>
  readonly at: number
}

export interface EventRecorder {
  readonly socket: Socket
  /** Every PAYOUT_* frame received so far, in arrival order. */
  readonly frames: () => ReadonlyArray<PayoutFrame>
  /** Frames of one transaction, in arrival order. */
  readonly of: (transactionId: string) => ReadonlyArray<PayoutFrame>
  /** Resolves with the first frame of `transactionId` named `event` (already received or to come). */
  readonly waitFor: (transactionId: string, event: string, timeoutMs: number) => Promise<PayoutFrame>
  readonly close: () => void
}

/**
 * A socket.io-client connected with `{auth: {token}}`, recording the payout
 * events. Events of other runs' payouts can arrive (the Redis channel is shared
 * by every process on the machine), so everything is looked up by transactionId.
 */
export const connectRecorder = (base: string, bearer: string, timeoutMs: number): Promise<EventRecorder> =>
  new Promise((resolve, reject) => {
    const socket = io(base, { auth: { token: bearer }, forceNew: true, reconnection: false })
    const frames: Array<PayoutFrame> = []
    const waiters = new Set<(frame: PayoutFrame) => void>()
    socket.onAny((event: string, payload: unknown) => {
      if (!event.startsWith("PAYOUT_") || !isRecord(payload)) return
      const frame = { event, transactionId: String(payload.transactionId), payload, at: Date.now() }
      frames.push(frame)
      for (const waiter of waiters) waiter(frame)
    })
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error("socket did not connect in time"))
    }, timeoutMs)
    socket.once("connect_error", (error) => {
      clearTimeout(timer)
      socket.close()
      reject(error)
    })
    socket.once("connect", () => {
      clearTimeout(timer)
      const of = (transactionId: string) => frames.filter((f) => f.transactionId === transactionId)
      resolve({
        socket,
        frames: () => frames,
        of,
        waitFor: (transactionId, event, waitMs) => {
          const matches = (f: PayoutFrame) => f.transactionId === transactionId && f.event === event
          const already = frames.find(matches)
          if (already !== undefined) return Promise.resolve(already)
          return new Promise<PayoutFrame>((resolveFrame, rejectFrame) => {
            const waiter = (frame: PayoutFrame) => {
              if (!matches(frame)) return
              clearTimeout(expiry)
              waiters.delete(waiter)
              resolveFrame(frame)
            }
            const expiry = setTimeout(() => {
              waiters.delete(waiter)
              const seen = of(transactionId).map((f) => f.event)
              rejectFrame(new Error(`no ${event} for ${transactionId} within ${waitMs} ms (seen: ${seen.join(", ")})`))
            }, waitMs)
            waiters.add(waiter)
          })
        },
        close: () => {
          socket.close()
        }
      })
    })
  })

/** Polls `probe` every `everyMs` until it returns a value, or fails after `timeoutMs`. */
export const eventually = async <A>(
  what: string,
  probe: () => Promise<A | undefined>,
  timeoutMs: number,
  everyMs = 100
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(everyMs)
  }
}
