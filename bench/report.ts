import type { Environment } from './environment'
import type { Measure } from './stats'

/** A goal from issue 5, 6 or 19, judged on this run's numbers. */
export interface Target {
  readonly text: string
  readonly met: boolean
}

/** One line of a group's table: keepsake, and usually the floor it is held against. */
export interface Row {
  readonly name: string
  readonly unit: 'time' | 'bytes'
  readonly subject: Measure
  readonly floor: Measure | undefined
  /** subject p50 / floor p50: how many times the floor's cost (>1 is slower or bigger). */
  readonly ratio: number | undefined
  readonly target: Target | undefined
  /** A reference figure for the same line from ../shared/ANCHOR-FIGURES.md (not measured here). */
  readonly anchor: string | undefined
}

export interface Group {
  readonly id: string
  readonly title: string
  readonly rows: readonly Row[]
  /** What the reader needs to know to read the table (sizes, how the spread is taken). */
  readonly notes: readonly string[]
  /** Whose anchor figures the last column holds (default: Peeper's). */
  readonly anchorTitle?: string
  /** Numbers the rows do not hold (executions counted, bytes per build), for results.json. */
  readonly figures?: Readonly<Record<string, number>>
  /** Markdown printed after the rows, for figures that are not times or sizes (placement's balance). */
  readonly table?: readonly string[]
}

/** Part of a group: its rows and the notes that explain them. */
export interface Section {
  readonly rows: Row[]
  readonly notes: string[]
}

export interface RowSpec {
  readonly name: string
  readonly unit?: 'time' | 'bytes'
  readonly subject: Measure
  readonly floor?: Measure
  /** Judges the finished row; leave out for lines without a goal. */
  readonly target?: (row: { ratio: number | undefined; subject: Measure }) => Target
  readonly anchor?: string
}

export function row(spec: RowSpec): Row {
  const ratio = spec.floor ? spec.subject.p50 / spec.floor.p50 : undefined
  return {
    name: spec.name,
    unit: spec.unit ?? 'time',
    subject: spec.subject,
    floor: spec.floor,
    ratio,
    target: spec.target?.({ ratio, subject: spec.subject }),
    anchor: spec.anchor
  }
}

/** Goal: at most `limit` times the floor's p50 (`source`: the issue that sets it, when the text should say so). */
export function ratioAtMost(limit: number, source?: string): NonNullable<RowSpec['target']> {
  return ({ ratio }) => ({ text: `≤ ${limit}x${sourced(source)}`, met: ratio !== undefined && ratio <= limit })
}

/** Goal: a size under `limitBytes` (or at most it, `inclusive`). */
export function bytesUnder(limitBytes: number, source?: string, inclusive = false): NonNullable<RowSpec['target']> {
  return ({ subject }) => ({
    text: `${inclusive ? '≤' : '<'} ${formatBytes(limitBytes)}${sourced(source)}`,
    met: inclusive ? subject.p50 <= limitBytes : subject.p50 < limitBytes
  })
}

function sourced(source: string | undefined): string {
  return source ? ` (${source})` : ''
}

/** Goal: a p50 under `limitMs`. */
export function p50Under(limitMs: number): NonNullable<RowSpec['target']> {
  return ({ subject }) => ({ text: `p50 < ${formatTime(limitMs)}`, met: subject.p50 < limitMs })
}

// ---- formatting ------------------------------------------------------------

export function formatTime(ms: number): string {
  if (ms < 0.001) return `${(ms * 1e6).toFixed(0)} ns`
  if (ms < 1) return `${significant(ms * 1000)} µs`
  if (ms < 1000) return `${significant(ms)} ms`
  return `${significant(ms / 1000)} s`
}

export function formatBytes(bytes: number): string {
  return bytes < 10_000 ? `${Math.round(bytes).toLocaleString('en-US')} B` : `${significant(bytes / 1024)} KB`
}

/** `p50 …, p99 …` of a time measure, for notes. */
export function describeTimes(m: Measure): string {
  return `p50 ${formatTime(m.p50)}, p99 ${formatTime(m.p99)}`
}

function formatRate(perSec: number | undefined): string {
  if (perSec === undefined) return ''
  if (perSec >= 1e6) return `${significant(perSec / 1e6)}M/s`
  if (perSec >= 1e3) return `${significant(perSec / 1e3)}k/s`
  return `${significant(perSec)}/s`
}

/** Three significant digits, without exponent notation. */
function significant(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toPrecision(3)
}

function spread(m: Measure, unit: Row['unit']): string {
  const format = unit === 'time' ? formatTime : formatBytes
  return m.samples === 1 ? format(m.p50) : `${format(m.p50)} / ${format(m.p99)}`
}

function header(anchorTitle = 'Peeper'): string {
  return (
    `| benchmark | keepsake p50 / p99 | keepsake rate | floor | floor p50 / p99 | floor rate | ratio | target | ${anchorTitle} (anchor, not this run) |\n` +
    '|---|---|---|---|---|---|---|---|---|'
  )
}

function tableLine(r: Row): string {
  const cells = [
    r.name,
    spread(r.subject, r.unit),
    formatRate(r.subject.opsPerSec),
    r.floor?.label ?? '',
    r.floor ? spread(r.floor, r.unit) : '',
    formatRate(r.floor?.opsPerSec),
    r.ratio === undefined ? '' : formatRatio(r.ratio),
    r.target ? `${r.target.text} ${r.target.met ? 'met' : '**missed**'}` : '',
    r.anchor ?? ''
  ]
  return `| ${cells.join(' | ')} |`
}

/** Every group's table, its notes, and a closing list of targets met and missed. */
export function markdown(env: Environment, groups: readonly Group[]): string {
  const out: string[] = [
    `# keepsake benchmarks${env.quick ? ' (quick smoke run: few samples, numbers are rough)' : ''}`,
    '',
    `${env.date} · Node ${env.node} · ${env.cpu} (${env.cores} cores) · xstate ${env.xstate} · ` +
      `src at ${env.source} · gc ${env.gcExposed ? 'exposed' : 'NOT exposed (run with --expose-gc)'}`,
    '',
    'Times are per operation unless the line says otherwise; p50 / p99 over all samples of all ' +
      'rounds; rate = operations / total sampled time; ratio = keepsake p50 / floor p50.'
  ]
  for (const group of groups) {
    out.push('', `## ${group.title}`, '', header(group.anchorTitle), ...group.rows.map(tableLine))
    if (group.table) out.push('', ...group.table)
    if (group.notes.length > 0) out.push('', ...group.notes.map((n) => `- ${n}`))
  }
  const judged = groups.flatMap((g) => g.rows.filter((r) => r.target).map((r) => ({ group: g.id, r })))
  out.push('', '## Targets (issues 5, 6 and 19)', '')
  for (const { group, r } of judged) {
    const target = r.target as Target
    out.push(`- ${target.met ? 'met' : '**missed**'}: ${group}, ${r.name} (${target.text}; ${measured(r)})`)
  }
  return `${out.join('\n')}\n`
}

function measured(r: Row): string {
  const p50 = r.unit === 'time' ? formatTime(r.subject.p50) : formatBytes(r.subject.p50)
  return r.ratio === undefined ? `p50 ${p50}` : `${formatRatio(r.ratio)}, p50 ${p50}`
}

/** Two decimals, or two significant digits for ratios far below 1 (a 1 MB restore, 0.0029x). */
function formatRatio(ratio: number): string {
  return `${ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2)}x`
}
