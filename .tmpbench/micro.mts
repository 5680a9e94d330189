import { Effect, Redacted } from "effect"
import * as JoseJwt from "../src/infra/jose/jwt.ts"
import { UserId } from "../src/domain/index.ts"
const jwt = JoseJwt.make({ secret: Redacted.make("x".repeat(40)), maxTtlSeconds: 86400 })
const token = await Effect.runPromise(jwt.sign({ userId: UserId.make("user_001"), role: "user" }, 3600))
const N = 5000
let t = performance.now()
for (let i = 0; i < N; i++) await Effect.runPromise(jwt.verify(token))
console.log("jwt verify µs", ((performance.now() - t) * 1000 / N).toFixed(1))
const { jwtVerify } = await import("jose")
const key = new TextEncoder().encode("x".repeat(40))
t = performance.now()
for (let i = 0; i < N; i++) await jwtVerify(token, key, { algorithms: ["HS256"] })
console.log("raw jose µs", ((performance.now() - t) * 1000 / N).toFixed(1))
const { createHmac } = await import("node:crypto")
t = performance.now()
for (let i = 0; i < N; i++) { const [h, p, s] = token.split("."); createHmac("sha256", key).update(`${h}.${p}`).digest("base64url") === s; JSON.parse(Buffer.from(p, "base64url").toString()) }
console.log("node hmac µs", ((performance.now() - t) * 1000 / N).toFixed(1))
t = performance.now()
for (let i = 0; i < N; i++) await Effect.runPromise(Effect.void.pipe(Effect.withSpan("x")))
console.log("runPromise+span µs", ((performance.now() - t) * 1000 / N).toFixed(1))
t = performance.now()
for (let i = 0; i < N; i++) await Effect.runPromise(Effect.void)
console.log("runPromise µs", ((performance.now() - t) * 1000 / N).toFixed(1))
const prog = Effect.gen(function* () { for (let i = 0; i < 20; i++) yield* Effect.void.pipe(Effect.withSpan("s")) })
const prog2 = Effect.gen(function* () { for (let i = 0; i < 20; i++) yield* Effect.void })
t = performance.now(); for (let i = 0; i < 2000; i++) Effect.runSync(prog); const a = (performance.now() - t) * 1000 / 2000
t = performance.now(); for (let i = 0; i < 2000; i++) Effect.runSync(prog2); const b = (performance.now() - t) * 1000 / 2000
console.log("20 spans µs", a.toFixed(1), "20 plain µs", b.toFixed(1), "per span", ((a - b) / 20).toFixed(1))
const progOff = prog.pipe(Effect.withTracerEnabled(false))
t = performance.now(); for (let i = 0; i < 2000; i++) Effect.runSync(progOff); const c = (performance.now() - t) * 1000 / 2000
console.log("20 spans tracer disabled µs", c.toFixed(1))
const fnd = Effect.fn("named")(function* () { yield* Effect.void })
const prog3 = Effect.gen(function* () { for (let i = 0; i < 20; i++) yield* fnd() })
t = performance.now(); for (let i = 0; i < 2000; i++) Effect.runSync(prog3); const d = (performance.now() - t) * 1000 / 2000
t = performance.now(); for (let i = 0; i < 2000; i++) Effect.runSync(prog3.pipe(Effect.withTracerEnabled(false))); const e = (performance.now() - t) * 1000 / 2000
console.log("20 Effect.fn µs", d.toFixed(1), "disabled", e.toFixed(1))
const prog4 = Effect.gen(function* () { for (let i = 0; i < 20; i++) yield* Effect.void.pipe(Effect.withSpan("s", { captureStackTrace: false })) })
t = performance.now(); for (let i = 0; i < 4000; i++) Effect.runSync(prog4); const f = (performance.now() - t) * 1000 / 4000
t = performance.now(); for (let i = 0; i < 4000; i++) Effect.runSync(prog4.pipe(Effect.withTracerEnabled(false))); const g = (performance.now() - t) * 1000 / 4000
console.log("20 spans no stack µs", f.toFixed(1), "no stack + disabled", g.toFixed(1))
