import { execFile, execFileSync } from "node:child_process"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { promisify } from "node:util"
import { afterAll, describe, expect, it } from "vitest"
import { readRepoFile, repoRoot } from "./repo.js"

const dockerfile = readRepoFile("docker/Dockerfile")

/** The lines of one stage, from its FROM to the next FROM. */
const stage = (name: string): string => {
  const match = dockerfile.match(new RegExp(`^FROM \\S+ AS ${name}\\n([\\s\\S]*?)(?=^FROM |$(?![\\s\\S]))`, "m"))
  expect(match, `stage ${name}`).not.toBeNull()
  return match?.[1] ?? ""
}

describe("docker/Dockerfile", () => {
  it("builds on node 20, compiles in a build stage and ships prod dependencies + dist only", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-(alpine|bookworm-slim)$/m)
    expect(stage("build")).toMatch(/RUN npm ci\b/)
    expect(stage("build")).toMatch(/RUN npm run build/)
    expect(stage("prod-deps")).toMatch(/RUN npm ci --omit=dev/)
    const runtime = stage("runtime")
    expect(runtime).toMatch(/COPY --from=prod-deps .*\/app\/node_modules/)
    expect(runtime).toMatch(/COPY --from=build .*\/app\/dist/)
    expect(runtime).not.toMatch(/COPY (--\S+ )*(src|test)\b/)
    expect(runtime).toMatch(/^USER node$/m)
    expect(runtime).toMatch(/^STOPSIGNAL SIGTERM$/m)
  })

  it("has a gateway and a worker target, each with its CMD and a healthcheck on its own port", () => {
    const gateway = stage("gateway")
    expect(gateway).toMatch(/HEALTHCHECK[\s\S]*healthcheck\.cjs "\$\{PORT:-3000\}"/)
    expect(gateway).toContain('CMD ["node", "dist/gateway/main.js"]')
    const worker = stage("worker")
    expect(worker).toMatch(/HEALTHCHECK[\s\S]*healthcheck\.cjs "\$\{WORKER_HEALTH_PORT:-3001\}"/)
    expect(worker).toContain('CMD ["node", "dist/worker/main.js"]')
  })

  it("compiles src/ to dist/ (the paths the CMDs run)", () => {
    const build = JSON.parse(readRepoFile("tsconfig.build.json")) as { compilerOptions: Record<string, unknown> }
    expect(build.compilerOptions).toMatchObject({ rootDir: "src", outDir: "dist" })
  })

  it("has per-runtime Dockerfiles in sync with it", () => {
    execFileSync("bash", ["scripts/sync-dockerfiles.sh", "--check"], { cwd: repoRoot, stdio: "pipe" })
    expect(readRepoFile("docker/Dockerfile.gateway")).not.toMatch(/AS worker/)
    expect(readRepoFile("docker/Dockerfile.worker")).not.toMatch(/AS gateway/)
  })

  it("keeps secrets, tests and local builds out of the build context", () => {
    const ignored = readRepoFile(".dockerignore").split("\n")
    for (const entry of [".env", "node_modules", "dist", "test", ".git"]) expect(ignored).toContain(entry)
  })
})

describe("docker/healthcheck.cjs", () => {
  const servers: Array<Server> = []
  afterAll(() => {
    for (const s of servers) s.close()
  })

  const serve = async (status: number): Promise<number> => {
    const server = createServer((req, res) => {
      res.statusCode = req.url === "/api/health/live" ? status : 404
      res.end()
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    return (server.address() as AddressInfo).port
  }
  const check = (port: number) =>
    promisify(execFile)("node", [join(repoRoot, "docker/healthcheck.cjs"), String(port)]).then(
      () => 0,
      (error: { code?: number }) => error.code ?? -1
    )

  it("exits 0 when /api/health/live answers 200", async () => {
    expect(await check(await serve(200))).toBe(0)
  })

  it("exits 1 on another status or when nothing listens", async () => {
    expect(await check(await serve(503))).toBe(1)
    const closed = await serve(200)
    servers.pop()?.close()
    expect(await check(closed)).toBe(1)
  })
})
