import { HttpServer } from "@effect/platform"
import { Console, Effect, Layer } from "effect"
import { type Actor, UserId } from "../domain/index.js"
import { Jwt } from "../ports/Jwt.js"
import { seededUsers } from "../programs/seed.js"

const TOKEN_TTL_SECONDS = 24 * 60 * 60

export const demoAdmin: Actor = { userId: UserId.make("admin"), role: "admin" }

/** The URL of the address really bound: `[::1]` bracketed; an any-address says so. */
export const baseUrl = (address: HttpServer.Address): string => {
  if (address._tag !== "TcpAddress") return `unix:${address.path}`
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname
  return `http://${host}:${address.port}`
}

const everywhere = (base: string) =>
  /^http:\/\/(0\.0\.0\.0|\[::\]):/.test(base) ? "  (every interface: reachable from other machines)" : ""

/** The embedded runtime's greeting: where everything is, and a token for each seeded user and an admin. */
export const layer = Layer.effectDiscard(
  Effect.gen(function* () {
    const jwt = yield* Jwt
    const base = yield* HttpServer.addressWith((a) => Effect.succeed(baseUrl(a)))
    const users = yield* Effect.forEach(seededUsers, (u) =>
      Effect.map(
        jwt.sign({ userId: u.userId, role: "user" }, TOKEN_TTL_SECONDS),
        (token) => `  ${u.userId} (${u.name}): ${token}`
      )
    )
    const admin = yield* jwt.sign(demoAdmin, TOKEN_TTL_SECONDS)
    yield* Console.log(
      [
        `SwiftPay (embedded) listening on ${base}${everywhere(base)}`,
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
