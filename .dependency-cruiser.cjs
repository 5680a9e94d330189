/**
 * The import rules of docs/architecture.md ("Layout"), checked by `npm run deps`.
 * Arrows point inward: domain ← ports ← programs ← http ← runtimes; infra
 * implements ports and is chosen only by the runtimes. Type-only imports count.
 */
const layer = (name) => `^src/${name}/`

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    {
      name: "domain-is-pure",
      comment: "src/domain imports only itself and effect",
      severity: "error",
      from: { path: layer("domain") },
      to: { path: "^src/", pathNot: layer("domain") }
    },
    {
      name: "ports-see-only-the-domain",
      comment: "a port is an interface over domain types; its fakes live in ports/memory and import the port, never the reverse",
      severity: "error",
      from: { path: "^src/ports/[^/]+\\.ts$" },
      to: { path: "^src/", pathNot: ["^src/domain/", "^src/ports/[^/]+\\.ts$"] }
    },
    {
      name: "fakes-see-ports-and-domain",
      severity: "error",
      from: { path: layer("ports/memory") },
      to: { path: "^src/", pathNot: ["^src/domain/", "^src/ports/"] }
    },
    {
      name: "programs-see-ports-not-adapters",
      comment: "use cases depend on ports only; the runtimes choose the adapters",
      severity: "error",
      from: { path: layer("programs") },
      to: { path: "^src/", pathNot: ["^src/domain/", "^src/ports/[^/]+\\.ts$", "^src/programs/", "^src/settings\\.ts$"] }
    },
    {
      name: "adapters-see-ports-and-domain",
      comment: "an adapter implements a port; configuration comes in as options from the runtimes",
      severity: "error",
      from: { path: layer("infra") },
      to: { path: "^src/", pathNot: ["^src/domain/", "^src/ports/[^/]+\\.ts$", "^src/infra/"] }
    },
    {
      name: "the-contract-sees-only-the-domain",
      comment: "src/http/api is used as is by clients: domain schemas and the contract itself",
      severity: "error",
      from: { path: layer("http/api") },
      to: { path: "^src/", pathNot: ["^src/domain/", "^src/http/api/"] }
    },
    {
      name: "the-edge-does-not-choose-adapters",
      severity: "error",
      from: { path: layer("http") },
      to: { path: ["^src/infra/", "^src/runtime/", "^src/gateway/", "^src/worker/", "^src/seed/", "^src/ports/memory/"] }
    },
    {
      name: "runtimes-are-roots",
      comment: "nothing imports a runtime's composition but the entry points",
      severity: "error",
      from: { path: "^src/", pathNot: ["^src/(gateway|worker|seed)/", "^src/main\\.ts$", "^src/runtime/"] },
      to: { path: ["^src/runtime/", "^src/gateway/", "^src/worker/", "^src/seed/"] }
    },
    {
      name: "one-runtime-does-not-import-another",
      severity: "error",
      from: { path: "^src/(gateway|worker|seed)/" },
      to: { path: "^src/(gateway|worker|seed)/", pathNot: "^src/$1/" }
    },
    {
      name: "the-shared-runtime-does-not-import-a-runtime",
      severity: "error",
      from: { path: layer("runtime") },
      to: { path: "^src/(gateway|worker|seed)/" }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^src/",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] }
  }
}
