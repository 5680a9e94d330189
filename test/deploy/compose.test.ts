import { execFileSync, spawnSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { dotenvValues, envVarsReadByCode, readRepoFile, repoRoot } from "./repo.js"

type Service = {
  image?: string
  build?: { context?: string; dockerfile?: string; target?: string }
  container_name?: string
  ports?: Array<string>
  volumes?: Array<string>
  command?: Array<string> | string
  entrypoint?: Array<string> | string
  environment?: Record<string, string | null>
  healthcheck?: { test?: Array<string> | string; disable?: boolean }
  depends_on?: Record<string, { condition?: string }> | Array<string>
}
type Compose = { version?: string; services: Record<string, Service>; volumes?: Record<string, unknown> }

const compose = parse(readRepoFile("docker-compose.yml"), { merge: true }) as Compose
const services = compose.services
const envExample = dotenvValues(readRepoFile(".env.example"))

/**
 * Compose-style interpolation with .env.example's values (and `env` over them):
 * `${VAR}`, `${VAR:-default}`, and `${VAR:?message}`, which fails when VAR is unset or empty.
 */
const interpolate = (text: string, env: Record<string, string> = {}): string =>
  text.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const value = env[name] ?? envExample.get(name)
    if (op === "?" && (value === undefined || value === "")) throw new Error(`${name}: ${arg ?? ""}`)
    return value !== undefined && value !== "" ? value : op === "-" ? (arg ?? "") : ""
  })
const SECRET = "a-secret-set-in-dotenv-for-this-test-0123456789"

const commandText = (value: Array<string> | string | undefined): string =>
  Array.isArray(value) ? value.join(" ") : (value ?? "")

/** The Compose CLI on this machine: docker compose v2, or docker-compose (>= 1.27 reads the Compose Specification). */
const findComposeCli = (): { cmd: string; args: Array<string>; version: string } | undefined => {
  for (const [cmd, args] of [
    ["docker", ["compose"]],
    ["docker-compose", []]
  ] as const) {
    const probe = spawnSync(cmd, [...args, "version"], { encoding: "utf8" })
    if (probe.status === 0) return { cmd, args: [...args], version: probe.stdout.split("\n")[0] ?? "" }
  }
  return undefined
}
const cli = findComposeCli()
if (cli === undefined) {
  console.warn(
    "compose CLI validation skipped: neither `docker compose` nor `docker-compose` is installed " +
      "(apt-get install -y docker-compose)"
  )
}

describe("docker-compose.yml", () => {
  it.skipIf(cli === undefined)("passes `config -q` of the Compose CLI (no engine needed)", () => {
    if (cli === undefined) return
    const run = (extra: Array<string>) =>
      execFileSync(cli.cmd, [...cli.args, ...extra, "-f", "docker-compose.yml", "config", "-q"], {
        cwd: repoRoot,
        encoding: "utf8",
        env: { ...process.env, JWT_SECRET: SECRET },
        stdio: ["ignore", "pipe", "pipe"]
      })
    console.info(`validating with ${cli.version}`)
    run([])
    run(["--env-file", ".env.example"])
  })

  it.skipIf(cli === undefined)("refuses to run without a JWT_SECRET of one's own (Compose CLI)", () => {
    if (cli === undefined) return
    const { JWT_SECRET: _, ...env } = process.env
    const config = (extra: Record<string, string>) =>
      spawnSync(cli.cmd, [...cli.args, "--env-file", ".env.example", "-f", "docker-compose.yml", "config", "-q"], {
        cwd: repoRoot,
        encoding: "utf8",
        env: { ...env, ...extra }
      })
    const without = config({})
    expect(without.status).not.toBe(0)
    expect(without.stderr).toMatch(/JWT_SECRET/)
    expect(config({ JWT_SECRET: "" }).status).not.toBe(0)
    expect(config({ JWT_SECRET: SECRET }).status).toBe(0)
  })

  it("takes JWT_SECRET from .env with no default: the gateway gets no public development value", () => {
    for (const runtime of ["gateway", "worker"]) {
      const raw = services[runtime]?.environment?.JWT_SECRET ?? ""
      expect(raw, runtime).toMatch(/^\$\{JWT_SECRET:\?[^}]*\.env[^}]*\}$/)
      expect(() => interpolate(raw), "unset in .env.example").toThrow(/JWT_SECRET/)
      expect(() => interpolate(raw, { JWT_SECRET: "" }), "empty").toThrow(/JWT_SECRET/)
      expect(interpolate(raw, { JWT_SECRET: SECRET })).toBe(SECRET)
    }
    expect(readRepoFile("docker-compose.yml")).not.toMatch(/swiftpay-dev-only-jwt-secret/)
  })

  it("uses the Compose Specification (no version key) and has the whole stack", () => {
    expect(compose.version).toBeUndefined()
    expect(Object.keys(services).sort()).toEqual(
      ["gateway", "jaeger", "mongo", "mongo-express", "rabbitmq", "redis", "worker"].sort()
    )
  })

  it("lets gateway and worker scale: no container_name; only the gateway publishes a port, as a range", () => {
    for (const name of ["gateway", "worker"]) {
      expect(services[name]?.container_name, name).toBeUndefined()
      expect(services[name]?.build).toMatchObject({ context: ".", dockerfile: "docker/Dockerfile", target: name })
    }
    expect(services.worker?.ports ?? []).toEqual([])
    const gatewayPorts = (services.gateway?.ports ?? []).map((text) => interpolate(text))
    expect(gatewayPorts).toHaveLength(1)
    // host part is a range (one port per replica), container part is the gateway's PORT
    expect(gatewayPorts[0]).toMatch(/^(\d+-\d+):3000$/)
    expect(services.gateway?.environment?.PORT).toBe("3000")
    expect(services.worker?.environment?.WORKER_HEALTH_PORT).toBe("3001")
  })

  it("gives every service a healthcheck and waits only on healthy dependencies", () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.disable, name).not.toBe(true)
      expect(commandText(service.healthcheck?.test).length, `${name} healthcheck`).toBeGreaterThan(0)
      const deps = service.depends_on ?? {}
      expect(Array.isArray(deps), `${name}: depends_on must be the long form`).toBe(false)
      for (const [dep, spec] of Object.entries(deps)) {
        expect(spec.condition, `${name} → ${dep}`).toBe("service_healthy")
        expect(services[dep], `${name} depends on unknown ${dep}`).toBeDefined()
      }
    }
    for (const runtime of ["gateway", "worker"]) {
      expect(Object.keys(services[runtime]?.depends_on ?? {}).sort()).toEqual(["jaeger", "mongo", "rabbitmq", "redis"])
      expect(commandText(services[runtime]?.healthcheck?.test)).toContain("docker/healthcheck.cjs")
    }
  })

  it("keeps state in declared named volumes", () => {
    const declared = Object.keys(compose.volumes ?? {})
    for (const [name, service] of Object.entries(services)) {
      for (const mount of service.volumes ?? []) {
        const source = mount.split(":")[0] ?? ""
        if (source.startsWith(".") || source.startsWith("/")) continue
        expect(declared, `${name} mounts ${source}`).toContain(source)
      }
    }
    for (const [name, path] of [
      ["mongo", "/data/db"],
      ["redis", "/data"],
      ["rabbitmq", "/var/lib/rabbitmq"]
    ] as const) {
      expect(
        services[name]?.volumes?.some((m) => m.split(":")[1] === path),
        `${name} ${path}`
      ).toBe(true)
    }
  })

  it("runs MongoDB 7 as a replica set that initiates itself, seeded by docker/mongo-init.js", () => {
    const mongo = services.mongo ?? {}
    expect(mongo.image).toMatch(/^mongo:7/)
    expect(commandText(mongo.entrypoint)).toContain("--replSet rs0")
    expect(commandText(mongo.entrypoint)).toContain("--keyFile")
    expect(commandText(mongo.healthcheck?.test)).toContain("rs.initiate")
    expect(mongo.volumes).toContain("./docker/mongo-init.js:/docker-entrypoint-initdb.d/mongo-init.js:ro")
    expect(mongo.environment?.MONGO_INITDB_ROOT_PASSWORD).toBeTruthy()
  })

  it("runs Redis 7 with a password and AOF, RabbitMQ 3.13 with management, Jaeger with OTLP", () => {
    expect(services.redis?.image).toMatch(/^redis:7/)
    expect(commandText(services.redis?.command)).toMatch(/--requirepass .*--appendonly yes/)
    expect(services.rabbitmq?.image).toBe("rabbitmq:3.13-management")
    expect(services.jaeger?.environment?.COLLECTOR_OTLP_ENABLED).toBe("true")
    expect((services.jaeger?.ports ?? []).map((text) => interpolate(text))).toEqual(
      expect.arrayContaining(["127.0.0.1:16686:16686", "127.0.0.1:4318:4318"])
    )
  })

  it("hands the runtimes connection settings that parse, with the credentials of .env", () => {
    for (const runtime of ["gateway", "worker"]) {
      const env = services[runtime]?.environment ?? {}
      const mongo = new URL(interpolate(env.MONGODB_URI ?? ""))
      expect(mongo.protocol).toBe("mongodb:")
      expect(decodeURIComponent(mongo.username)).toBe(envExample.get("MONGO_ROOT_USERNAME"))
      expect(decodeURIComponent(mongo.password)).toBe(envExample.get("MONGO_ROOT_PASSWORD"))
      expect(mongo.host).toBe("mongo:27017")
      expect(mongo.searchParams.get("replicaSet")).toBe("rs0")
      const rabbit = new URL(interpolate(env.RABBITMQ_URL ?? ""))
      expect(rabbit.protocol).toBe("amqp:")
      expect(decodeURIComponent(rabbit.password)).toBe(envExample.get("RABBITMQ_PASSWORD"))
      expect(rabbit.host).toBe("rabbitmq:5672")
      expect(env.REDIS_HOST).toBe("redis")
      expect(interpolate(env.REDIS_PASSWORD ?? "")).toBe(envExample.get("REDIS_PASSWORD"))
      expect(env.REDIS_URL, "REDIS_URL would win over the parts").toBeUndefined()
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://jaeger:4318")
      expect(interpolate(env.JWT_SECRET ?? "", { JWT_SECRET: SECRET })).toBe(SECRET)
    }
  })

  it("uses URL-safe example credentials (they go into URLs unencoded)", () => {
    for (const name of ["MONGO_ROOT_USERNAME", "MONGO_ROOT_PASSWORD", "RABBITMQ_USER", "RABBITMQ_PASSWORD"]) {
      expect(envExample.get(name), name).toMatch(/^[A-Za-z0-9._~-]+$/)
    }
  })

  it("passes every variable the code reads to the runtimes (set, or passed through from .env)", () => {
    const passed = new Set([
      ...Object.keys(services.gateway?.environment ?? {}),
      ...Object.keys(services.worker?.environment ?? {})
    ])
    // REDIS_URL is left out on purpose: the runtimes get REDIS_HOST/PORT/PASSWORD/DB.
    const missing = [...envVarsReadByCode()].filter((name) => name !== "REDIS_URL" && !passed.has(name)).sort()
    expect(missing, "add these under x-app-env in docker-compose.yml").toEqual([])
  })
})
