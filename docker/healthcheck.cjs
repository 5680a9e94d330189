// Container healthcheck without curl/wget: GET http://127.0.0.1:<port>/api/health/live.
// Usage: node docker/healthcheck.cjs <port> [path]. Exit 0 on HTTP 200, 1 otherwise.
"use strict"
const http = require("node:http")

const port = Number(process.argv[2] || process.env.PORT || 3000)
const path = process.argv[3] || "/api/health/live"

const request = http.get({ host: "127.0.0.1", port, path, timeout: 4000 }, (res) => {
  res.resume()
  process.exit(res.statusCode === 200 ? 0 : 1)
})
request.on("timeout", () => {
  request.destroy()
  process.exit(1)
})
request.on("error", () => process.exit(1))
