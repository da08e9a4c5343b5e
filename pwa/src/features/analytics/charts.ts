// ECharts options built from the same tables the table view shows, so a chart and its table cannot
// disagree. A suppressed figure ("<5") has no bar or point: it is null, never drawn as 0.
import type { ChartOption } from './echarts'
import type { Table } from './shape'

/** Colours with at least 3:1 contrast on white, told apart by people with red–green colour blindness. */
export const PALETTE = ['#1d4ed8', '#d97706', '#0f766e', '#7c3aed', '#b91c1c', '#475569', '#0891b2']
const TEXT = '#1f2937'
const MUTED = '#4b5563'
// ECharts measures labels with this font to lay them out: it must be a real one, not `inherit`
const FONT = "-apple-system, 'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif"

export interface SeriesSpec {
  /** the column of the table that holds the figures */
  column: string
  type?: 'bar' | 'line'
  /** 1: the second value axis */
  axis?: 0 | 1
  stack?: string
  colour?: string
}

/** Each channel keeps its colour from chart to chart (the palette's first three, in CHANNELS' order). */
const CHANNEL_COLOURS: Record<string, string> = { self: PALETTE[0], proxy: PALETTE[1], counter: PALETTE[2] }

/** Ratings from one star (red) to five (green): the order reads without the legend. */
export const STAR_COLOURS = ['#b91c1c', '#ea580c', '#a16207', '#4d7c0f', '#047857']

export interface ChartSpec {
  series: SeriesSpec[]
  /** bars grow to the right with the categories down the side (long names, phones) */
  horizontal?: boolean
  /** value axes whose figures are shares (0–1), labelled as percentages */
  percentAxes?: (0 | 1)[]
  /** colour each bar by the row (the first series only): row key → palette index */
  rowColour?: (rowKey: string) => number
  /** leave out rows with nothing to draw (every plotted figure suppressed or absent); the table keeps them */
  onlyDrawn?: boolean
}

/** A category's name on an axis: without its explanation in brackets (全程（提交至审批决定） → 全程). */
export function shortLabel(label: string): string {
  return label.replace(/\s*[\uff08(][^\uff09)]*[\uff09)]\s*$/, '') || label
}

/** How tall a horizontal bar chart must be to give each of its rows a readable bar and label. */
export function horizontalHeight(rows: number, series = 1): number {
  return Math.max(160, 72 + rows * Math.max(26, series * 14))
}

function percent(value: number): string {
  return `${Math.round(value * 1000) / 10}%`
}

function valueAxis(isPercent: boolean, position?: 'left' | 'right' | 'top' | 'bottom') {
  return {
    type: 'value' as const,
    position,
    axisLabel: { color: MUTED, fontSize: 12, formatter: isPercent ? (v: number) => percent(v) : undefined },
    splitLine: { lineStyle: { color: '#e5e7eb' } },
  }
}

/** Bars and lines from a table: the first column names the categories, each series one column. */
export function tableChart(table: Table, spec: ChartSpec): ChartOption {
  const index = (key: string) => {
    const i = table.columns.findIndex((c) => c.key === key)
    if (i < 0) throw new Error(`no column ${key}`)
    return i
  }
  const columns = spec.series.map((s) => index(s.column))
  const drawn = spec.onlyDrawn ? table.rows.filter((r) => columns.some((i) => r.cells[i].value !== null)) : table.rows
  // horizontal bars read top to bottom in the table's order: ECharts puts the first category at the bottom
  const rows = spec.horizontal ? [...drawn].reverse() : drawn
  const categories = rows.map((r) => shortLabel(r.cells[0].display))
  const percentAxes = new Set(spec.percentAxes ?? [])
  const twoAxes = spec.series.some((s) => s.axis === 1)
  // a few categories: every label shown, wrapped if need be; many (months, days): as many as fit
  const few = spec.horizontal || categories.length <= 8
  const categoryAxis = {
    type: 'category' as const,
    data: categories,
    axisLabel: few
      ? { color: TEXT, fontSize: 12, interval: 0, ...(spec.horizontal ? {} : { width: 56, overflow: 'break' as const }) }
      : { color: TEXT, fontSize: 12, hideOverlap: true },
    axisTick: { alignWithLabel: true },
  }
  const valueAxes = [valueAxis(percentAxes.has(0)), ...(twoAxes ? [valueAxis(percentAxes.has(1))] : [])]
  const series = spec.series.map((s, n) => {
    const i = columns[n]
    const isPercent = percentAxes.has(s.axis ?? 0)
    const data = rows.map((r) =>
      spec.rowColour && n === 0 ? { value: r.cells[i].value, itemStyle: { color: PALETTE[spec.rowColour(r.key) % PALETTE.length] } } : r.cells[i].value,
    )
    return {
      name: table.columns[i].label,
      type: s.type ?? 'bar',
      stack: s.stack,
      data,
      connectNulls: false,
      showSymbol: (s.type ?? 'bar') === 'line' && table.rows.length <= 40,
      ...(spec.horizontal ? { xAxisIndex: s.axis ?? 0 } : { yAxisIndex: s.axis ?? 0 }),
      tooltip: { valueFormatter: (v: unknown) => (typeof v === 'number' ? (isPercent ? percent(v) : String(v)) : '<5') },
      barMaxWidth: 36,
      ...(s.colour ? { itemStyle: { color: s.colour }, lineStyle: { color: s.colour } } : {}),
    }
  })
  return {
    color: PALETTE,
    animation: false,
    textStyle: { fontFamily: FONT },
    tooltip: { trigger: 'axis', confine: true },
    legend: spec.series.length > 1 ? { top: 0, textStyle: { color: TEXT, fontSize: 12 }, itemGap: 12 } : undefined,
    grid: { left: 8, right: 12, top: spec.series.length > 1 ? 48 : 16, bottom: 8, containLabel: true },
    xAxis: spec.horizontal ? valueAxes : categoryAxis,
    yAxis: spec.horizontal ? categoryAxis : valueAxes,
    series,
  } as ChartOption
}

/** A ring of shares: one slice per row from one column of counts. */
export function pieChart(table: Table, column: string): ChartOption {
  const i = table.columns.findIndex((c) => c.key === column)
  if (i < 0) throw new Error(`no column ${column}`)
  return {
    color: PALETTE,
    animation: false,
    textStyle: { fontFamily: FONT },
    tooltip: { trigger: 'item', confine: true },
    legend: { bottom: 0, textStyle: { color: TEXT, fontSize: 12 } },
    series: [
      {
        name: table.columns[i].label,
        type: 'pie',
        radius: ['34%', '74%'],
        center: ['50%', '45%'],
        percentPrecision: 1,
        // the share only, on the ring: the names are in the legend, and beside the ring they would not fit a phone
        label: { position: 'inside', color: '#fff', fontSize: 13, fontWeight: 'bold', formatter: '{d}%' },
        labelLine: { show: false },
        data: table.rows
          .filter((r) => r.cells[i].value !== null)
          .map((r) => ({
            name: r.cells[0].display,
            value: r.cells[i].value,
            ...(CHANNEL_COLOURS[r.key] ? { itemStyle: { color: CHANNEL_COLOURS[r.key] } } : {}),
          })),
      },
    ],
  } as ChartOption
}

/** The height a chart needs: a horizontal bar chart grows with its rows, others take the given height. */
export function chartHeight(option: ChartOption | null, otherwise: number): number {
  const axis = option?.yAxis as { type?: string; data?: unknown[] } | undefined
  if (axis && !Array.isArray(axis) && axis.type === 'category') {
    const series = (Array.isArray(option?.series) ? option.series : []) as { stack?: string }[]
    // stacked series share one bar
    const bars = series.filter((s, i) => !s.stack || series.findIndex((o) => o.stack === s.stack) === i).length
    return horizontalHeight(axis.data?.length ?? 0, Math.max(1, bars))
  }
  return otherwise
}

type CategoryAxis = { type?: string; data?: unknown[]; axisLabel?: Record<string, unknown> }

/** Whether the labels along the bottom are too many for the width to stand level (each shown, under 64 px each). */
export function labelsTurned(option: ChartOption, width: number): boolean {
  const axis = option.xAxis as CategoryAxis | CategoryAxis[] | undefined
  if (!axis || Array.isArray(axis) || axis.type !== 'category' || !axis.data?.length) return false
  return axis.axisLabel?.interval === 0 && (width - 80) / axis.data.length < 64
}

/**
 * Fits a chart to the width it is drawn in: where the categories along the bottom would have less
 * than 64 px each (eight stages on a phone), their labels are turned 40° instead of wrapped.
 */
export function fitToWidth(option: ChartOption, width: number): ChartOption {
  if (!labelsTurned(option, width)) return option
  const axis = option.xAxis as { axisLabel?: Record<string, unknown> }
  const { width: _w, overflow: _o, ...label } = axis.axisLabel ?? {}
  return { ...option, xAxis: { ...axis, axisLabel: { ...label, rotate: 40 } } } as ChartOption
}
