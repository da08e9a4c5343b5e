// ECharts options built from the same tables the table view shows, so a chart and its table cannot
// disagree. A suppressed figure ("<5") has no bar or point: it is null, never drawn as 0.
import type { ChartOption } from './echarts'
import type { Table } from './shape'

/** Colours with at least 3:1 contrast on white, told apart by people with red–green colour blindness. */
export const PALETTE = ['#1d4ed8', '#d97706', '#0f766e', '#7c3aed', '#b91c1c', '#475569', '#0891b2']
const TEXT = '#1f2937'
const MUTED = '#4b5563'

export interface SeriesSpec {
  /** the column of the table that holds the figures */
  column: string
  type?: 'bar' | 'line'
  /** 1: the second value axis */
  axis?: 0 | 1
  stack?: string
}

export interface ChartSpec {
  series: SeriesSpec[]
  /** bars grow to the right with the categories down the side (long names, phones) */
  horizontal?: boolean
  /** value axes whose figures are shares (0–1), labelled as percentages */
  percentAxes?: (0 | 1)[]
  /** colour each bar by the row (the first series only): row key → palette index */
  rowColour?: (rowKey: string) => number
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
  const categories = table.rows.map((r) => r.cells[0].display)
  const index = (key: string) => {
    const i = table.columns.findIndex((c) => c.key === key)
    if (i < 0) throw new Error(`no column ${key}`)
    return i
  }
  const percentAxes = new Set(spec.percentAxes ?? [])
  const twoAxes = spec.series.some((s) => s.axis === 1)
  const categoryAxis = {
    type: 'category' as const,
    data: spec.horizontal ? [...categories].reverse() : categories,
    axisLabel: { color: TEXT, fontSize: 12, hideOverlap: true },
    axisTick: { alignWithLabel: true },
  }
  const valueAxes = [valueAxis(percentAxes.has(0)), ...(twoAxes ? [valueAxis(percentAxes.has(1))] : [])]
  const series = spec.series.map((s, n) => {
    const i = index(s.column)
    const rows = spec.horizontal ? [...table.rows].reverse() : table.rows
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
    }
  })
  return {
    color: PALETTE,
    animation: false,
    textStyle: { fontFamily: 'inherit' },
    tooltip: { trigger: 'axis', confine: true },
    legend: spec.series.length > 1 || spec.rowColour ? { top: 0, textStyle: { color: TEXT, fontSize: 12 }, itemGap: 12 } : undefined,
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
    tooltip: { trigger: 'item', confine: true },
    legend: { bottom: 0, textStyle: { color: TEXT, fontSize: 12 } },
    series: [
      {
        name: table.columns[i].label,
        type: 'pie',
        radius: ['38%', '68%'],
        center: ['50%', '45%'],
        label: { color: TEXT, fontSize: 12, formatter: '{b}\n{d}%' },
        data: table.rows.filter((r) => r.cells[i].value !== null).map((r) => ({ name: r.cells[0].display, value: r.cells[i].value })),
      },
    ],
  } as ChartOption
}
