// ECharts with only what the analytics pages draw (bars, lines, a ring; axes, tooltips, legends) and
// the SVG renderer: tree-shaken from `echarts/core`, and imported only by these pages, so none of it
// reaches the citizens' first screen.
import { init, use, type ComposeOption, type EChartsType } from 'echarts/core'
import { BarChart, LineChart, PieChart, type BarSeriesOption, type LineSeriesOption, type PieSeriesOption } from 'echarts/charts'
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  type GridComponentOption,
  type LegendComponentOption,
  type TooltipComponentOption,
} from 'echarts/components'
import { SVGRenderer } from 'echarts/renderers'

use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer])

export type ChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | PieSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption
>

/** Draws into an element with the SVG renderer (crisp on any screen, light on a phone). */
export function createChart(el: HTMLElement): EChartsType {
  return init(el, null, { renderer: 'svg' })
}

export type { EChartsType }
