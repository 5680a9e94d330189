#!/usr/bin/env node
// A MongoDB-wire server in this process, for trying the gateway and worker where no
// MongoDB runs (CongoServer, from a dev dependency). Not a database: no unique
// indexes, and its transactions neither roll back nor isolate.
//   node scripts/dev-mongo.mjs [port]      (default 27017; Ctrl-C stops it)
const { CongoServer } = await import("@push.rocks/smartmongo/dist_ts/congodb/index.js")

const port = Number(process.argv[2] ?? 27017)
const server = new CongoServer({ port, host: "127.0.0.1" })
await server.start()
console.log(`CongoServer on 127.0.0.1:${port}`)
console.log(`MONGODB_URI="mongodb://127.0.0.1:${port}/swiftpay?serverMonitoringMode=poll"`)
const stop = () => server.stop().finally(() => process.exit(0))
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
