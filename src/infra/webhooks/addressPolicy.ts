import { isIP } from "node:net"
import ipaddr from "ipaddr.js"

// Global unicast space; IPv4-compatible (::a.b.c.d) and other odd forms outside it are refused
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3")

/**
 * An ordinary public unicast address a webhook may connect to. IPv4-mapped IPv6 is judged as
 * its IPv4 address; every special range ipaddr knows (loopback, private, link-local and the
 * cloud metadata addresses in it, unique-local, CGNAT, multicast, reserved, 6to4, teredo…) is refused.
 */
export const isPublicAddress = (ip: string): boolean => {
  if (isIP(ip) === 0) return false
  const address = ipaddr.process(ip)
  if (address.range() !== "unicast") return false
  return address.kind() === "ipv4" || address.match(GLOBAL_UNICAST_V6)
}
