/**
 * `--profile DIR`: the target's node processes run with `--cpu-prof`; after the
 * run each profile is summed up by where its CPU time went (self time, idle left
 * out). It covers the whole life of the process: start-up and the bench's setup too.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string }
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const RULES: ReadonlyArray<readonly [string, (url: string, fn: string) => boolean]> = [
  ["GC", (_u, f) => f === "(garbage collector)"],
  ["JWT (jose)", (u) => u.includes("/jose/")],
  ["Schema (decode/encode)", (u) => /effect\/dist\/esm\/(Schema|ParseResult|SchemaAST)\.js/.test(u)],
  ["HTTP (platform, node http)", (u) => /@effect\/platform|find-my-way|node:_http|node:http/.test(u)],
  ["Socket.IO", (u) => /socket\.io|engine\.io|\/ws\//.test(u)],
  ["src/programs", (u) => u.includes("/src/programs/")],
  ["src/ports (memory store, queue, lock)", (u) => u.includes("/src/ports/")],
  [
    "src/infra + drivers (mongodb, ioredis, amqplib)",
    (u) => /\/src\/infra\/|\/mongodb\/|\/ioredis\/|\/amqplib\//.test(u)
  ],
  ["src/http (our edge)", (u) => u.includes("/src/http/")],
  ["src/domain", (u) => u.includes("/src/domain/")],
  ["src (other)", (u) => u.includes("/src/")],
  ["Effect runtime", (u) => u.includes("/node_modules/effect/")],
  ["node core, native", (u, f) => u === "" || u.startsWith("node:") || f === "(program)"]
]

const categoryOf = (url: string, fn: string) => RULES.find(([, test]) => test(url, fn))?.[0] ?? "other dependencies"

/** Shares of the non-idle CPU time by category, largest first. */
export const summarize = (file: string): ReadonlyArray<readonly [string, number]> => {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const totals = new Map<string, number>()
  let busy = 0
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame
    const dt = profile.timeDeltas[i] ?? 0
    if (frame === undefined || frame.functionName === "(idle)") return
    busy += dt
    const category = categoryOf(frame.url, frame.functionName)
    totals.set(category, (totals.get(category) ?? 0) + dt)
  })
  return [...totals].map(([c, t]) => [c, busy === 0 ? 0 : t / busy] as const).sort((a, b) => b[1] - a[1])
}

/** The profiles written to `dir`, largest (the busiest process) first. */
export const profilesIn = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)

export const profileTable = (file: string): string =>
  [
    `CPU profile ${file} (share of busy time)`,
    ...summarize(file).map(([c, share]) => `  ${(share * 100).toFixed(1).padStart(5)}%  ${c}`)
  ].join("\n")
