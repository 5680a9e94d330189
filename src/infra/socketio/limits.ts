export interface SocketLimits {
  /** Frames queued behind the one being handled; one more cuts the socket off. */
  readonly maxPendingFrames: number
  readonly maxFramesPerSecond: number
  /** Failed `authenticate` frames; the last one is answered, then the socket is cut off. */
  readonly maxAuthFailures: number
}

/** The limits when none are given (a flood from one socket stalled the whole server). */
export const DEFAULT_SOCKET_LIMITS: SocketLimits = { maxPendingFrames: 16, maxFramesPerSecond: 20, maxAuthFailures: 10 }
