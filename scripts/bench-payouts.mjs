#!/usr/bin/env node
// Load a running SwiftPay with payouts and report throughput and latency.
//   node scripts/bench-payouts.mjs [baseUrl] [requests] [concurrency]
// Tokens are signed with JWT_SECRET (default: the embedded development secret); the
// runtime should have high rate limits, e.g.
//   RATE_LIMIT_MAX_REQUESTS=1000000 USER_RATE_LIMIT_MAX_REQUESTS=1000000 npm start
import { SignJWT } from "jose"

const [base = "http://localhost:3000", total = "2000", concurrency = "50"] = process.argv.slice(2)
const secret = new TextEncoder().encode(process.env.JWT_SECRET ?? "swiftpay-development-secret-change-me-0123456789")
const users = ["user_001", "user_002", "user_003"]
const tokens = await Promise.all(
  users.map((sub) => new SignJWT({ role: "user" }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setExpirationTime("1h").sign(secret))
)

const latencies = []
const statuses = new Map()
let next = 0
const worker = async () => {
  while (next < Number(total)) {
    const i = next++
    const started = performance.now()
    const res = await fetch(`${base}/api/payout`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens[i % 3]}`, "content-type": "application/json" },
      body: JSON.stringify({ userId: users[i % 3], amount: "0.01" })
    })
    await res.arrayBuffer()
    latencies.push(performance.now() - started)
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
  }
}
const t0 = performance.now()
await Promise.all(Array.from({ length: Number(concurrency) }, worker))
const seconds = (performance.now() - t0) / 1000
latencies.sort((a, b) => a - b)
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1)
console.log(
  `${total} payouts, concurrency ${concurrency}: ${(Number(total) / seconds).toFixed(0)} req/s, ` +
    `p50 ${pct(50)} ms, p99 ${pct(99)} ms, statuses ${JSON.stringify(Object.fromEntries(statuses))}`
)
