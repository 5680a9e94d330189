import { Metric, type MetricPair, MetricState, Option } from "effect"

export interface Sample {
  readonly name: string
  readonly type: "counter" | "gauge" | "histogram" | "summary"
  readonly help: string
  readonly labels: ReadonlyArray<readonly [string, string]>
  readonly lines: ReadonlyArray<string>
}

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
const labelText = (labels: ReadonlyArray<readonly [string, string]>) =>
  labels.length === 0 ? "" : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`
const num = (n: number | bigint) =>
  typeof n === "bigint" ? n.toString() : Number.isFinite(n) ? String(n) : n > 0 ? "+Inf" : n < 0 ? "-Inf" : "NaN"

/** One metric pair as Prometheus exposition lines (text format 0.0.4). */
const sampleOf = (pair: MetricPair.MetricPair.Untyped): Sample | undefined => {
  const { name, description, tags } = pair.metricKey
  const labels = tags.map((t) => [t.key, t.value] as const)
  const help = Option.getOrElse(description, () => name)
  const state: unknown = pair.metricState
  const at = labelText(labels)
  if (MetricState.isCounterState(state))
    return { name, type: "counter", help, labels, lines: [`${name}${at} ${num(state.count)}`] }
  if (MetricState.isGaugeState(state))
    return { name, type: "gauge", help, labels, lines: [`${name}${at} ${num(state.value)}`] }
  if (MetricState.isFrequencyState(state)) {
    const lines = [...state.occurrences].map(([k, n]) => `${name}${labelText([...labels, ["key", k]])} ${n}`)
    return { name, type: "counter", help, labels, lines }
  }
  if (MetricState.isHistogramState(state)) {
    const finite = state.buckets.filter(([le]) => Number.isFinite(le))
    const lines = [
      ...finite.map(([le, n]) => `${name}_bucket${labelText([...labels, ["le", num(le)]])} ${n}`),
      `${name}_bucket${labelText([...labels, ["le", "+Inf"]])} ${state.count}`,
      `${name}_sum${at} ${num(state.sum)}`,
      `${name}_count${at} ${state.count}`
    ]
    return { name, type: "histogram", help, labels, lines }
  }
  if (MetricState.isSummaryState(state)) {
    const lines = [
      ...state.quantiles.flatMap(([q, v]) =>
        Option.isSome(v) ? [`${name}${labelText([...labels, ["quantile", String(q)]])} ${num(v.value)}`] : []
      ),
      `${name}_sum${at} ${num(state.sum)}`,
      `${name}_count${at} ${state.count}`
    ]
    return { name, type: "summary", help, labels, lines }
  }
  return undefined
}

/** Every metric of the process, HELP and TYPE once per name, series sorted for stable output. */
export const render = (
  pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>,
  extra: ReadonlyArray<Sample> = []
): string => {
  const byName = new Map<string, Array<Sample>>()
  for (const sample of [...pairs.flatMap((p) => sampleOf(p) ?? []), ...extra]) {
    byName.set(sample.name, [...(byName.get(sample.name) ?? []), sample])
  }
  const out: Array<string> = []
  for (const [name, samples] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    const first = samples[0]
    if (first === undefined) continue
    out.push(`# HELP ${name} ${escapeLabel(first.help)}`, `# TYPE ${name} ${first.type}`)
    for (const s of samples.sort((a, b) => labelText(a.labels).localeCompare(labelText(b.labels)))) out.push(...s.lines)
  }
  return `${out.join("\n")}\n`
}

export const snapshot = Metric.snapshot
