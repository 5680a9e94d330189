import type { PayoutEvent } from "../../domain/index.js"

/**
 * What one socket has been sent of one user's events: every sequence up to
 * `upTo`, and those above it in `above` (a late event of another process may
 * arrive after a newer one). An event already sent is dropped: the relay and a
 * reconnecting bus deliver at least once.
 */
export interface Stream {
  upTo: number | undefined
  readonly above: Set<number>
  /** Live events held back while the log is replayed; undefined once live. */
  buffer: Array<PayoutEvent> | undefined
}

export const newStream = (after: number | undefined, replaying: boolean): Stream => ({
  upTo: after,
  above: new Set(),
  buffer: replaying ? [] : undefined
})

/** True (and recorded) when `sequence` has not been sent on this stream yet. */
export const accept = (stream: Stream, sequence: number): boolean => {
  if (stream.upTo === undefined) stream.upTo = sequence - 1 // a fresh socket starts at its first live event
  if (sequence <= stream.upTo || stream.above.has(sequence)) return false
  stream.above.add(sequence)
  while (stream.above.delete(stream.upTo + 1)) stream.upTo += 1
  return true
}
