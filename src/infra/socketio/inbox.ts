import { type Clock, Effect, Queue } from "effect"
import type { IoSocket } from "./attach.js"
import { failure } from "./frames.js"
import type { SocketLimits } from "./limits.js"

/** A socket past one of its limits is told why, then disconnected: it costs nothing more. */
export const cutOff = (socket: IoSocket, reason: string): void => {
  socket.emit("limit_exceeded", failure(reason))
  socket.disconnect(true)
}

/** Counts every frame of a socket, whatever its event, in fixed one-second windows. */
export const makeFrameRate = (limits: SocketLimits, clock: Clock.Clock): (() => boolean) => {
  let windowStart = Number.NEGATIVE_INFINITY
  let framesInWindow = 0
  return () => {
    const now = clock.unsafeCurrentTimeMillis()
    if (now - windowStart >= 1000) {
      windowStart = now
      framesInWindow = 0
    }
    framesInWindow += 1
    return framesInWindow <= limits.maxFramesPerSecond
  }
}

export interface Inbox {
  /** Synchronous and O(1): queues the work, or returns false when the inbox is full. */
  readonly offer: (work: () => Effect.Effect<void>) => boolean
  /** Runs the queued work one at a time, in arrival order, until `close`. */
  readonly drain: Effect.Effect<never>
  readonly close: Effect.Effect<void>
}

/**
 * One socket's frames, handled one at a time so that `subscribe` sent right after
 * `authenticate` sees its identity. Bounded: a fiber queued per frame on a semaphore
 * made one socket's flood cost O(N²) wake-ups (Effect's Semaphore wakes every waiter on each release).
 */
export const makeInbox = (limits: SocketLimits): Effect.Effect<Inbox> =>
  Effect.map(Queue.dropping<() => Effect.Effect<void>>(limits.maxPendingFrames), (queue) => ({
    offer: (work) => Queue.unsafeOffer(queue, work),
    drain: Queue.take(queue).pipe(
      Effect.flatMap((work) => work()),
      Effect.forever
    ),
    close: Queue.shutdown(queue)
  }))
