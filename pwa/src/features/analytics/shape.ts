// Turns statistics answers into tables (what the table view, screen readers and the CSV show) and
// date ranges into what the API takes. Figures are never recomputed here: a cell shows the API's own
// `display` ("1,234", "12.5%", "<5"), and a chart plots its `value`, which is null where suppressed.
import type {
  ProcessingTimeFieldsFragment,
  SatisfactionFieldsFragment,
  StatsFunnelStepsQuery,
  StatsMonthlyQuery,
  StatsProvinceSyncDaysQuery,
  StatsReviewQuery,
  StatsTownshipLeagueQuery,
  TimeToApplyFieldsFragment,
} from '@/generated/analytics'

export type Translate = (key: string, named?: Record<string, unknown>) => string

export interface Cell {
  display: string
  /** the number a chart plots; null for text and for suppressed figures */
  value: number | null
  suppressed: boolean
}

export interface Column {
  key: string
  label: string
  numeric: boolean
}

export interface Row {
  key: string
  cells: Cell[]
}

export interface Table {
  columns: Column[]
  rows: Row[]
}

interface Counted {
  count: number | null
  display: string
  suppressed: boolean
}

interface Measured {
  value: number | null
  display: string
  suppressed: boolean
}

type Key = { dimension: string; code: string; name: string }

export const CHANNELS = ['self', 'proxy', 'counter'] as const
export const SUPPRESSED = '<5'

export function text(display: string): Cell {
  return { display, value: null, suppressed: false }
}

export function count(c: Counted): Cell {
  return { display: c.display, value: c.suppressed ? null : c.count, suppressed: c.suppressed }
}

export function measure(m: Measured): Cell {
  return { display: m.display, value: m.suppressed ? null : m.value, suppressed: m.suppressed }
}

const ZERO: Cell = { display: '0', value: 0, suppressed: false }

function column(t: Translate, key: string, numeric = true): Column {
  return { key, label: t(`analytics.columns.${key}`), numeric }
}

/** The name of a breakdown cell: its keys' names, or "全区" for the cell without keys (the district). */
export function keyName(keys: Key[], t: Translate): string {
  return keys.length ? keys.map((k) => k.name).join(' · ') : t('analytics.district')
}

/* ---------- dates ---------- */

export interface DateRange {
  from: string
  to: string
}

/** Today in Beijing (where every statistic's day is counted), as YYYY-MM-DD. */
export function beijingToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

function parts(day: string): [number, number, number] {
  const [y, m, d] = day.split('-').map(Number)
  return [y, m, d]
}

function iso(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
}

/** The first day of the month `months` before `day`'s month. */
export function monthStart(day: string, monthsBack = 0): string {
  const [y, m] = parts(day)
  const index = y * 12 + (m - 1) - monthsBack
  return iso(Math.floor(index / 12), (index % 12) + 1, 1)
}

export type RangePreset = 'last12' | 'last3' | 'thisYear' | 'reviewSeason'
export const RANGE_PRESETS: RangePreset[] = ['last12', 'last3', 'thisYear', 'reviewSeason']

/** A preset range ending today: whole months back to a month start, so monthly trends show whole months. */
export function presetRange(preset: RangePreset, today: string): DateRange {
  const [y, m] = parts(today)
  switch (preset) {
    case 'last12':
      return { from: monthStart(today, 11), to: today }
    case 'last3':
      return { from: monthStart(today, 2), to: today }
    case 'thisYear':
      return { from: iso(y, 1, 1), to: today }
    case 'reviewSeason': {
      // 回头看 covers the applications of the year before its August–October review
      const year = m >= 8 ? y : y - 1
      return { from: iso(year - 1, 8, 1), to: iso(year, 7, 31) }
    }
  }
}

export type RangeProblem = 'invalid' | 'backwards' | 'tooLong'

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/

function validDay(day: string): boolean {
  if (!ISO_DAY.test(day)) return false
  const [y, m, d] = parts(day)
  const date = new Date(Date.UTC(y, m - 1, d))
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
}

/** What is wrong with a range before asking the server (the server checks the same): null when fine. */
export function rangeProblem(range: DateRange): RangeProblem | null {
  if (!validDay(range.from) || !validDay(range.to)) return 'invalid'
  if (range.from > range.to) return 'backwards'
  const [y, m, d] = parts(range.from)
  // at most five years: the day five years after `from` (29 February → 28 February) is the last allowed
  const limit = validDay(iso(y + 5, m, d)) ? iso(y + 5, m, d) : iso(y + 5, m, d - 1)
  if (range.to > limit) return 'tooLong'
  return null
}

/** Every month from `from`'s to `to`'s, as YYYY-MM. */
export function monthsBetween(range: DateRange): string[] {
  const months: string[] = []
  const [fy, fm] = parts(range.from)
  const [ty, tm] = parts(range.to)
  for (let i = fy * 12 + fm - 1; i <= ty * 12 + tm - 1; i++) months.push(iso(Math.floor(i / 12), (i % 12) + 1, 1).slice(0, 7))
  return months
}

/* ---------- tables ---------- */

type MonthlyCell = StatsMonthlyQuery['statsCaseCounts']['cells'][number]

/** Applications per month (rows) and channel (columns); a month a channel has no cell for had none. */
export function monthlyTable(cells: MonthlyCell[], range: DateRange, t: Translate): Table {
  const channelNames = new Map<string, string>()
  const byMonth = new Map<string, Map<string, Cell>>()
  for (const cell of cells) {
    const month = cell.keys.find((k) => k.dimension === 'month')
    const channel = cell.keys.find((k) => k.dimension === 'channel')
    if (!month || !channel) continue
    channelNames.set(channel.code, channel.name)
    let row = byMonth.get(month.code)
    if (!row) byMonth.set(month.code, (row = new Map()))
    row.set(channel.code, count(cell))
  }
  const order = (code: string) => {
    const i = (CHANNELS as readonly string[]).indexOf(code)
    return i < 0 ? CHANNELS.length : i
  }
  const channels = [...new Set([...CHANNELS.filter((c) => channelNames.has(c)), ...channelNames.keys()])].sort((a, b) => order(a) - order(b))
  const months = [...new Set([...monthsBetween(range), ...byMonth.keys()])].sort()
  return {
    columns: [column(t, 'month', false), ...channels.map((c) => ({ key: c, label: channelNames.get(c) ?? c, numeric: true }))],
    rows: months.map((month) => ({
      key: month,
      cells: [text(month), ...channels.map((c) => byMonth.get(month)?.get(c) ?? ZERO)],
    })),
  }
}

type FunnelCell = StatsFunnelStepsQuery['statsFunnel']['steps'][number]

/** Share of a part in a whole, shown only when both are shown (a share of a shown whole gives a hidden part away). */
export function share(part: Cell, whole: Cell): Cell {
  if (part.value === null || whole.value === null) {
    return part.suppressed || whole.suppressed ? { display: SUPPRESSED, value: null, suppressed: true } : text('')
  }
  if (whole.value === 0) return text('')
  const value = part.value / whole.value
  return { display: `${(value * 100).toFixed(1)}%`, value, suppressed: false }
}

/** The funnel's steps, then why the others stopped, each with its share of all submitted. */
export function funnelTable(funnel: StatsFunnelStepsQuery['statsFunnel'], t: Translate): Table {
  const submitted = funnel.steps.find((s) => s.step === 'submitted')
  const whole = submitted ? count(submitted) : text('')
  const row = (kind: 'step' | 'dropOut') => (s: FunnelCell): Row => ({
    key: `${kind}-${s.step}`,
    cells: [text(s.label), text(t(`analytics.funnel.${kind}`)), count(s), share(count(s), whole)],
  })
  return {
    columns: [column(t, 'step', false), column(t, 'kind', false), column(t, 'cases'), column(t, 'shareOfSubmitted')],
    rows: [...funnel.steps.map(row('step')), ...funnel.dropOuts.map(row('dropOut'))],
  }
}

/** Processing time per stage in working days, against the limit: median, p90, over 75% of it, over it. */
export function stageTimesTable(cells: ProcessingTimeFieldsFragment[], t: Translate, label: (c: ProcessingTimeFieldsFragment) => string = (c) => c.label): Table {
  return {
    columns: [
      column(t, 'stage', false),
      column(t, 'cases'),
      column(t, 'medianWorkingDays'),
      column(t, 'p90WorkingDays'),
      column(t, 'overWarningShare'),
      column(t, 'overLimitShare'),
    ],
    rows: cells.map((c) => ({
      key: `${c.stage}-${c.keys.map((k) => k.code).join('-')}`,
      cells: [text(label(c)), count(c), measure(c.medianWorkingDays), measure(c.p90WorkingDays), measure(c.overWarningShare), measure(c.overLimitShare)],
    })),
  }
}

/** Highest first; what cannot be shown goes last, in the API's order. */
function byValueDescending<T>(items: T[], value: (item: T) => number | null): T[] {
  return items
    .map((item, i) => ({ item, i, v: value(item) }))
    .sort((a, b) => (a.v === null ? (b.v === null ? a.i - b.i : 1) : b.v === null ? -1 : b.v - a.v || a.i - b.i))
    .map((x) => x.item)
}

/**
 * The township league: each township's share of decided cases that took longer than their limit
 * (submission to decision), worst first, beside its cases running now and the share of them overdue.
 */
export function leagueTable(league: StatsTownshipLeagueQuery, t: Translate): Table {
  const running = new Map(league.running.map((r) => [r.keys.map((k) => k.code).join('-'), r]))
  const finished = byValueDescending(league.finished, (c) => (c.overLimitShare.suppressed ? null : c.overLimitShare.value))
  const rows: Row[] = finished.map((c) => {
    const code = c.keys.map((k) => k.code).join('-')
    const now = running.get(code)
    running.delete(code)
    return {
      key: code,
      cells: [
        text(keyName(c.keys, t)),
        count(c),
        measure(c.overLimitShare),
        now ? count(now) : ZERO,
        now ? count(now.overdue) : ZERO,
        now ? measure(now.overdueShare) : text(''),
      ],
    }
  })
  // townships with work running but nothing decided yet in the range
  for (const [code, now] of running) {
    rows.push({ key: code, cells: [text(keyName(now.keys, t)), ZERO, text(''), count(now), count(now.overdue), measure(now.overdueShare)] })
  }
  return {
    columns: [
      column(t, 'township', false),
      column(t, 'decided'),
      column(t, 'overLimitShare'),
      column(t, 'runningNow'),
      column(t, 'overdueNow'),
      column(t, 'overdueNowShare'),
    ],
    rows,
  }
}

/** Satisfaction per breakdown: answers, how many gave each of 1–5 stars, the average rating and ease. */
export function satisfactionTable(cells: SatisfactionFieldsFragment[], t: Translate): Table {
  return {
    columns: [
      column(t, 'group', false),
      column(t, 'answers'),
      ...[1, 2, 3, 4, 5].map((n) => ({ key: `stars${n}`, label: t('analytics.columns.stars', { n }), numeric: true })),
      column(t, 'averageRating'),
      column(t, 'averageEase'),
    ],
    rows: cells.map((c) => ({
      key: c.keys.map((k) => k.code).join('-') || 'district',
      cells: [text(keyName(c.keys, t)), count(c), ...c.ratings.map(count), measure(c.averageRating), measure(c.averageEase)],
    })),
  }
}

type SyncDay = StatsProvinceSyncDaysQuery['statsProvinceSync'][number]

/** The provincial round trip per day: syncs, decisions back, round-trip minutes, failures, dead letters. */
export function provinceSyncTable(days: SyncDay[], t: Translate): Table {
  return {
    columns: [
      column(t, 'day', false),
      column(t, 'syncs'),
      column(t, 'decided'),
      column(t, 'medianMinutes'),
      column(t, 'p90Minutes'),
      column(t, 'failed'),
      column(t, 'failedAttempts'),
      column(t, 'deadLetters'),
    ],
    rows: [...days]
      .sort((a, b) => a.day.localeCompare(b.day))
      .map((d) => ({
        key: d.day,
        cells: [text(d.day), count(d), count(d.decided), measure(d.medianMinutes), measure(d.p90Minutes), count(d.failed), count(d.failedAttempts), count(d.deadLetters)],
      })),
  }
}

type Review = StatsReviewQuery['statsReviewReport']

/** The review's channel mix: applications per channel and their share. */
export function channelMixTable(cells: Review['channelMix'], t: Translate): Table {
  return {
    columns: [column(t, 'channel', false), column(t, 'cases'), column(t, 'share')],
    rows: cells.map((c) => ({ key: c.keys.map((k) => k.code).join('-'), cells: [text(keyName(c.keys, t)), count(c), measure(c.share)] })),
  }
}

/** Time to apply (first saved answer to submission), in minutes, per breakdown. */
export function timeToApplyTable(cells: TimeToApplyFieldsFragment[], t: Translate): Table {
  return {
    columns: [column(t, 'channel', false), column(t, 'cases'), column(t, 'medianMinutes'), column(t, 'p90Minutes')],
    rows: cells.map((c) => ({
      key: c.keys.map((k) => k.code).join('-') || 'district',
      cells: [text(keyName(c.keys, t)), count(c), measure(c.medianMinutes), measure(c.p90Minutes)],
    })),
  }
}

/** Time to decide or the overdue rate, the district first: a breakdown's name instead of the stage's. */
export function breakdownTimesTable(cells: ProcessingTimeFieldsFragment[], t: Translate, first: 'channel' | 'township'): Table {
  const table = stageTimesTable(cells, t, (c) => keyName(c.keys, t))
  table.columns[0] = column(t, first, false)
  return table
}

/* ---------- CSV ---------- */

function csvField(cell: Cell): string {
  let s = cell.display
  // a spreadsheet would run a text starting with = + - @ as a formula (comments are people's own words)
  if (cell.value === null && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** The table as CSV: a byte-order mark so spreadsheets read the Chinese as UTF-8, CRLF line ends. */
export function toCsv(table: Table): string {
  const lines = [table.columns.map((c) => csvField(text(c.label))), ...table.rows.map((r) => r.cells.map(csvField))]
  return `\ufeff${lines.map((l) => l.join(',')).join('\r\n')}\r\n`
}

/** A file name for a download: what it is and the range it covers. */
export function fileName(what: string, range: DateRange, ext: string): string {
  return `${what}-${range.from}-${range.to}.${ext}`
}
