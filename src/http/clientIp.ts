/**
 * The address a request came from, for the per-IP rate limit. Behind `hops`
 * trusted proxies, each of which appends the address it received from to
 * X-Forwarded-For, the client is the entry `hops` places from the right; entries
 * further left were written by the client itself and prove nothing.
 */
export const clientIp = (remoteAddress: string | undefined, forwardedFor: string | undefined, hops: number): string => {
  const peer = remoteAddress ?? "unknown"
  if (hops <= 0 || forwardedFor === undefined) return peer
  const chain = forwardedFor
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
  return chain[Math.max(0, chain.length - hops)] ?? peer
}
