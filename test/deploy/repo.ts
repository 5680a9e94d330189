import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

/** Helpers shared by the deployment tests: repository paths and the env vars the code reads. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

export const readRepoFile = (path: string): string => readFileSync(join(repoRoot, path), "utf8")

const tsFiles = (dir: string): Array<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return tsFiles(path)
    return entry.name.endsWith(".ts") ? [path] : []
  })

/**
 * Local helpers such as `const int = (name: string, ...) => Config.integer(name)...` in
 * settings.ts (generic ones too: `const parsed = <A>(name: string, ...) =>`), and helpers
 * built on them (`const port = (name: string, ...) => int(name, ...)`).
 */
const helperDefinition =
  /const\s+(\w+)\s*=\s*(?:<\w+>\s*)?\(\s*\w+\s*:\s*string[^)]*\)\s*(?::[^=]+)?=>\s*(Config\.|\w+\()/g

const helpersIn = (text: string): ReadonlyArray<string> => {
  const definitions = [...text.matchAll(helperDefinition)].map((m) => ({ name: m[1] as string, body: m[2] as string }))
  const found = new Set(definitions.filter((d) => d.body === "Config.").map((d) => d.name))
  for (let grew = true; grew; ) {
    grew = false
    for (const d of definitions) {
      if (!found.has(d.name) && found.has(d.body.slice(0, -1))) {
        found.add(d.name)
        grew = true
      }
    }
  }
  return [...found]
}

/**
 * Every environment variable name read under src/: `Config.<anything>("NAME")`, and
 * `helper("NAME")` for local helpers whose body starts with `Config.`.
 */
export const envVarsReadByCode = (): ReadonlySet<string> => {
  const names = new Set<string>()
  for (const file of tsFiles(join(repoRoot, "src"))) {
    const text = readFileSync(file, "utf8")
    const helpers = helpersIn(text)
    const callee = ["Config\\.\\w+", ...helpers].join("|")
    const call = new RegExp(`(?<![\\w.])(?:${callee})\\(\\s*"([A-Z][A-Z0-9_]*)"`, "g")
    for (const m of text.matchAll(call)) names.add(m[1] as string)
  }
  return names
}

/** Variables assigned in a dotenv file, commented-out (`# NAME=default`) or not. */
export const dotenvNames = (text: string): ReadonlySet<string> =>
  new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string))

/** Active `NAME=value` lines of a dotenv file. */
export const dotenvValues = (text: string): ReadonlyMap<string, string> =>
  new Map([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1] as string, (m[2] as string).trim()]))
