/** The figures of one run, computed from what the load and the listener recorded; the table and the JSON. */
import type { Conservation } from "./check.js"
import type { Load, Scenario } from "./load.js"
import type { Listener } from "./setup.js"

const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? null : round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0)

export interface Figures {
  readonly acceptedPerS: number
  readonly accepted: number
  readonly otherStatuses: Record<string, number>
  readonly unanswered: number
  readonly connectionErrors: number
  readonly timeouts: number
  readonly intakeLatencyMs: { readonly p50: number; readonly p99: number; readonly max: number }
  readonly completedSeen: number
  readonly failedSeen: number
  readonly settlementsPerS: number | null
  readonly endToEndMs: { readonly p50: number | null; readonly p99: number | null }
  readonly lastCompletionAfterLoadS: number | null
  readonly cpuUs: { readonly load: Record<string, number>; readonly loadAndDrain: Record<string, number> }
  readonly cpuUsPerAccepted: { readonly load: number | null; readonly loadAndDrain: number | null }
}

const minus = (a: Record<string, number>, b: Record<string, number>) =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, Math.round(v - (b[k] ?? 0))]))
const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0)

export const figures = (
  scenario: Scenario,
  load: Load,
  listener: Listener,
  cpu: readonly [Record<string, number>, Record<string, number>, Record<string, number>]
): Figures => {
  const okStatus = scenario === "balance" ? "200" : "202"
  const ok = load.statuses[okStatus] ?? 0
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  const e2e: Array<number> = []
  for (const [id, { at }] of load.accepted) {
    first = Math.min(first, at)
    const done = listener.completed.get(id)
    if (done === undefined) continue
    last = Math.max(last, done)
    e2e.push(done - at)
  }
  e2e.sort((a, b) => a - b)
  const load0 = minus(cpu[1], cpu[0])
  const drain0 = minus(cpu[2], cpu[0])
  return {
    acceptedPerS: round((ok * 1000) / (load.endedAt - load.startedAt)),
    accepted: ok,
    otherStatuses: Object.fromEntries(Object.entries(load.statuses).filter(([s]) => s !== okStatus)),
    unanswered: load.unansweredPerUser.reduce((a, b) => a + b, 0),
    connectionErrors: load.result.errors,
    timeouts: load.result.timeouts,
    intakeLatencyMs: { p50: load.result.latency.p50, p99: load.result.latency.p99, max: load.result.latency.max },
    completedSeen: e2e.length,
    failedSeen: listener.failed(),
    settlementsPerS: e2e.length > 0 && last > first ? round((e2e.length * 1000) / (last - first)) : null,
    endToEndMs: { p50: percentile(e2e, 50), p99: percentile(e2e, 99) },
    lastCompletionAfterLoadS: e2e.length > 0 ? round((last - load.endedAt) / 1000, 2) : null,
    cpuUs: { load: load0, loadAndDrain: drain0 },
    cpuUsPerAccepted: {
      load: ok > 0 ? Math.round(sum(load0) / ok) : null,
      loadAndDrain: ok > 0 ? Math.round(sum(drain0) / ok) : null
    }
  }
}

export interface RunReport {
  readonly target: string
  readonly started: boolean
  readonly ok: boolean
  readonly error?: string
  readonly store?: string
  readonly broker?: string
  readonly scenario?: Scenario
  readonly options?: Record<string, unknown>
  readonly figures?: Figures
  readonly drainedAfterLoadS?: number | null
  readonly conservation?: Conservation
  /** `--tracing`: what reached the bench's OTLP receiver by the end of the run. */
  readonly exported?: { readonly spans: number; readonly traces: number; readonly rejected: number }
}

const show = (v: unknown) =>
  v === null || v === undefined ? "n/a" : typeof v === "object" ? JSON.stringify(v) : String(v)

export const table = (r: RunReport): string => {
  if (!r.started || r.figures === undefined) return `${r.target}: did not run: ${r.error ?? "unknown error"}\n`
  const f = r.figures
  const payouts = r.scenario !== "balance"
  const rows: Array<[string, unknown]> = [
    ["target", `${r.target} (${r.scenario})`],
    ["store", r.store],
    ["broker", r.broker],
    ["options", r.options],
    [payouts ? "accepted payouts/s (202)" : "balance reads/s (200)", `${f.acceptedPerS}  (${f.accepted} in all)`],
    ["other statuses", f.otherStatuses],
    ["connection errors / timeouts", `${f.connectionErrors} / ${f.timeouts}`],
    ["unanswered requests", f.unanswered],
    ["intake latency ms p50/p99/max", `${f.intakeLatencyMs.p50} / ${f.intakeLatencyMs.p99} / ${f.intakeLatencyMs.max}`]
  ]
  if (payouts) {
    rows.push(
      ["settlements/s", f.settlementsPerS],
      ["202 → PAYOUT_COMPLETED ms p50/p99", `${show(f.endToEndMs.p50)} / ${show(f.endToEndMs.p99)}`],
      ["completion events seen", `${f.completedSeen} of ${f.accepted} (failed: ${f.failedSeen})`],
      [
        "backlog drained after load",
        `${show(r.drainedAfterLoadS)} s (last completion event ${show(f.lastCompletionAfterLoadS)} s)`
      ]
    )
  }
  rows.push(
    [
      "server CPU µs per accepted",
      `${show(f.cpuUsPerAccepted.load)} load, ${show(f.cpuUsPerAccepted.loadAndDrain)} with drain`
    ],
    ["server CPU µs by process", `load ${show(f.cpuUs.load)}, with drain ${show(f.cpuUs.loadAndDrain)}`],
    [
      "conservation",
      r.conservation?.ok
        ? `ok (users checked: ${r.conservation.usersChecked}, reconcile ok; ${r.conservation.acceptedUnseen} accepted from unanswered requests)`
        : "FAILED"
    ]
  )
  if (r.exported !== undefined)
    rows.push([
      "spans exported (OTLP)",
      `${r.exported.spans} in ${r.exported.traces} traces (rejected: ${r.exported.rejected})`
    ])
  for (const p of (r.conservation?.problems ?? []).slice(0, 10)) rows.push(["  problem", p])
  const width = Math.max(...rows.map(([k]) => k.length))
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${show(v)}`).join("\n")}\n`
}
