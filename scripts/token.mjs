#!/usr/bin/env node
// Prints a bearer token for the API, signed with JWT_SECRET (HS256), valid 24 h.
//   JWT_SECRET=... npm run token -- user_001          # a user
//   JWT_SECRET=... npm run token -- ops_admin admin   # an admin
import { SignJWT } from "jose"

const [sub, role = "user"] = process.argv.slice(2)
const secret = process.env.JWT_SECRET
if (sub === undefined || !["user", "admin"].includes(role) || secret === undefined || secret === "") {
  console.error("usage: JWT_SECRET=<secret> npm run token -- <userId> [user|admin]")
  process.exit(2)
}
const token = await new SignJWT({ role })
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(sub)
  .setIssuedAt()
  .setExpirationTime("24h")
  .sign(new TextEncoder().encode(secret))
console.log(token)
