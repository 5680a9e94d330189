import { HttpServer } from "@effect/platform"
import { Console, Effect, Layer } from "effect"
import { UserId } from "../domain/index.js"
import { Jwt } from "../http/Jwt.js"
import type { Actor } from "../programs/PayoutIntake.js"
import { seededUsers } from "../programs/seed.js"

const TOKEN_TTL_SECONDS = 24 * 60 * 60

export const demoAdmin: Actor = { userId: UserId.make("admin"), role: "admin" }

/** The embedded runtime's greeting: where everything is, and a token for each seeded user and an admin. */
export const layer = Layer.effectDiscard(
  Effect.gen(function* () {
    const jwt = yield* Jwt
    const port = yield* HttpServer.addressWith((a) => Effect.succeed(a._tag === "TcpAddress" ? a.port : 0))
    const base = `http://localhost:${port}`
    const users = yield* Effect.forEach(seededUsers, (u) =>
      Effect.map(
        jwt.sign({ userId: u.userId, role: "user" }, TOKEN_TTL_SECONDS),
        (token) => `  ${u.userId} (${u.name}): ${token}`
      )
    )
    const admin = yield* jwt.sign(demoAdmin, TOKEN_TTL_SECONDS)
    yield* Console.log(
      [
        `SwiftPay (embedded) listening on ${base}`,
        `  API      ${base}/api`,
        `  Docs     ${base}/api/docs  (OpenAPI: ${base}/api/openapi.json)`,
        `  Socket   ${base}  (Socket.IO, path /socket.io)`,
        `  Metrics  ${base}/metrics`,
        "",
        "Demo tokens, valid 24 h (Authorization: Bearer <token>):",
        ...users,
        `  admin: ${admin}`,
        ""
      ].join("\n")
    )
  })
)
