// The analytics pages' data shaping: ranges, tables from API answers (suppressed cells kept as "<5"),
// charts built from those tables, and the CSV download.
import { describe, expect, it } from 'vitest'
import { chartHeight, fitToWidth, PALETTE, pieChart, shortLabel, tableChart } from './charts'
import {
  beijingToday,
  channelMixTable,
  funnelTable,
  leagueTable,
  monthlyTable,
  monthsBetween,
  presetRange,
  provinceSyncTable,
  rangeProblem,
  satisfactionTable,
  share,
  text,
  toCsv,
  type Translate,
} from './shape'

const t: Translate = (key, named) => (named ? `${key}(${JSON.stringify(named)})` : key)
const shown = (n: number) => ({ count: n, display: String(n), suppressed: false })
const hidden = { count: null, display: '<5', suppressed: true }
const num = (value: number, display: string) => ({ value, display, suppressed: false })
const noNum = { value: null, display: '<5', suppressed: true }
const key = (dimension: string, code: string, name: string) => ({ dimension, code, name })

describe('date ranges', () => {
  it('counts today in Beijing, which is a day ahead of UTC in the evening', () => {
    expect(beijingToday(new Date('2026-11-26T17:30:00Z'))).toBe('2026-11-27')
    expect(beijingToday(new Date('2026-11-26T15:30:00Z'))).toBe('2026-11-26')
  })

  it('starts the last 12 months at a month start so every month in the trend is whole', () => {
    expect(presetRange('last12', '2026-11-26')).toEqual({ from: '2025-12-01', to: '2026-11-26' })
    expect(presetRange('last3', '2026-02-10')).toEqual({ from: '2025-12-01', to: '2026-02-10' })
    expect(presetRange('thisYear', '2026-02-10')).toEqual({ from: '2026-01-01', to: '2026-02-10' })
  })

  it('takes the review year as August to July before the review season', () => {
    expect(presetRange('reviewSeason', '2026-09-15')).toEqual({ from: '2025-08-01', to: '2026-07-31' })
    expect(presetRange('reviewSeason', '2026-03-01')).toEqual({ from: '2024-08-01', to: '2025-07-31' })
  })

  it('refuses what the API would refuse: bad dates, backwards, over five years', () => {
    expect(rangeProblem({ from: '2026-01-01', to: '2026-12-31' })).toBeNull()
    expect(rangeProblem({ from: '2026-02-30', to: '2026-03-01' })).toBe('invalid')
    expect(rangeProblem({ from: '', to: '2026-03-01' })).toBe('invalid')
    expect(rangeProblem({ from: '2026-05-01', to: '2026-04-30' })).toBe('backwards')
    expect(rangeProblem({ from: '2021-01-01', to: '2026-01-01' })).toBeNull()
    expect(rangeProblem({ from: '2021-01-01', to: '2026-01-02' })).toBe('tooLong')
    expect(rangeProblem({ from: '2024-02-29', to: '2029-02-28' })).toBeNull()
    expect(rangeProblem({ from: '2024-02-29', to: '2029-03-01' })).toBe('tooLong')
  })

  it('lists every month of a range across a year end', () => {
    expect(monthsBetween({ from: '2025-11-15', to: '2026-02-01' })).toEqual(['2025-11', '2025-12', '2026-01', '2026-02'])
  })
})

describe('tables', () => {
  it('puts months in rows and channels in columns, in the channels’ usual order, filling months with no cases', () => {
    const cells = [
      { keys: [key('month', '2026-01', '2026-01'), key('channel', 'proxy', '帮办代办')], ...shown(12) },
      { keys: [key('month', '2026-01', '2026-01'), key('channel', 'self', '掌上自助')], ...hidden },
      { keys: [key('month', '2026-03', '2026-03'), key('channel', 'self', '掌上自助')], ...shown(7) },
    ]
    const table = monthlyTable(cells, { from: '2026-01-01', to: '2026-03-31' }, t)
    expect(table.columns.map((c) => c.key)).toEqual(['month', 'self', 'proxy'])
    expect(table.columns.map((c) => c.label)).toEqual(['analytics.columns.month', '掌上自助', '帮办代办'])
    expect(table.rows.map((r) => r.cells.map((c) => c.display))).toEqual([
      ['2026-01', '<5', '12'],
      ['2026-02', '0', '0'],
      ['2026-03', '7', '0'],
    ])
    expect(table.rows[0].cells[1]).toEqual({ display: '<5', value: null, suppressed: true })
  })

  it('shows a funnel share only when both the step and the submitted count are shown', () => {
    const table = funnelTable(
      {
        steps: [
          { step: 'submitted', label: '已提交', ...shown(200) },
          { step: 'accepted', label: '已受理', ...shown(150) },
          { step: 'paid', label: '已发放', ...hidden },
        ],
        dropOuts: [{ step: 'withdrawn', label: '撤回', ...shown(8) }],
      },
      t,
    )
    expect(table.rows.map((r) => [r.key, ...r.cells.map((c) => c.display)])).toEqual([
      ['step-submitted', '已提交', 'analytics.funnel.step', '200', '100.0%'],
      ['step-accepted', '已受理', 'analytics.funnel.step', '150', '75.0%'],
      ['step-paid', '已发放', 'analytics.funnel.step', '<5', '<5'],
      ['dropOut-withdrawn', '撤回', 'analytics.funnel.dropOut', '8', '4.0%'],
    ])
    expect(share(text(''), text('')).display).toBe('')
  })

  it('ranks townships by overdue share, worst first, hidden shares last, and joins what is running now', () => {
    const cell = (code: string, name: string, n: number, over: ReturnType<typeof num> | typeof noNum) => ({
      keys: [key('township', code, name)],
      stage: 'total',
      label: '全程',
      ...shown(n),
      medianWorkingDays: num(10, '10.0'),
      p90WorkingDays: num(20, '20.0'),
      overLimitShare: over,
      overWarningShare: num(0.2, '20.0%'),
    })
    const table = leagueTable(
      {
        finished: [cell('1', '甲', 40, num(0.05, '5.0%')), cell('2', '乙', 6, noNum), cell('3', '丙', 50, num(0.12, '12.0%'))],
        running: [
          { keys: [key('township', '3', '丙')], ...shown(9), overdue: hidden, overdueShare: noNum },
          { keys: [key('township', '4', '丁')], ...shown(6), overdue: shown(5), overdueShare: num(0.8333, '83.3%') },
        ],
      },
      t,
    )
    expect(table.rows.map((r) => r.cells.map((c) => c.display))).toEqual([
      ['丙', '50', '12.0%', '9', '<5', '<5'],
      ['甲', '40', '5.0%', '0', '0', ''],
      ['乙', '6', '<5', '0', '0', ''],
      ['丁', '0', '', '6', '5', '83.3%'],
    ])
  })

  it('gives satisfaction one column per star, the district named as such', () => {
    const table = satisfactionTable(
      [
        {
          keys: [],
          ...shown(30),
          ratings: [hidden, hidden, shown(5), shown(10), shown(11)],
          averageRating: num(4.03, '4.03'),
          averageEase: num(3.9, '3.90'),
        },
      ],
      t,
    )
    expect(table.columns.map((c) => c.label)).toContain('analytics.columns.stars({"n":5})')
    expect(table.rows[0].cells.map((c) => c.display)).toEqual(['analytics.district', '30', '<5', '<5', '5', '10', '11', '4.03', '3.90'])
  })

  it('orders provincial sync days by date', () => {
    const day = (d: string) => ({
      day: d,
      ...shown(6),
      decided: shown(6),
      medianMinutes: num(30, '30.0'),
      p90Minutes: num(60, '60.0'),
      failed: hidden,
      failedAttempts: hidden,
      deadLetters: hidden,
    })
    expect(provinceSyncTable([day('2026-06-02'), day('2026-06-01')], t).rows.map((r) => r.key)).toEqual(['2026-06-01', '2026-06-02'])
  })
})

describe('charts', () => {
  const table = monthlyTable(
    [
      { keys: [key('month', '2026-01', '2026-01'), key('channel', 'self', '掌上自助')], ...shown(12) },
      { keys: [key('month', '2026-02', '2026-02'), key('channel', 'self', '掌上自助')], ...hidden },
    ],
    { from: '2026-01-01', to: '2026-02-28' },
    t,
  )

  it('plots the table’s own figures and leaves a suppressed one out rather than drawing 0', () => {
    const option = tableChart(table, { series: [{ column: 'self' }] }) as { xAxis: { data: string[] }; series: { name: string; data: unknown[] }[] }
    expect(option.xAxis.data).toEqual(['2026-01', '2026-02'])
    expect(option.series[0].name).toBe('掌上自助')
    expect(option.series[0].data).toEqual([12, null])
  })

  it('lists horizontal bars top to bottom in the table’s order', () => {
    const option = tableChart(table, { horizontal: true, series: [{ column: 'self' }] }) as { yAxis: { data: string[] }; series: { data: unknown[] }[] }
    expect(option.yAxis.data).toEqual(['2026-02', '2026-01'])
    expect(option.series[0].data).toEqual([null, 12])
  })

  it('leaves rows with nothing to draw out of the chart when asked, and grows a horizontal chart with its rows', () => {
    const option = tableChart(table, { horizontal: true, onlyDrawn: true, series: [{ column: 'self' }] })
    expect((option as { yAxis: { data: string[] } }).yAxis.data).toEqual(['2026-01'])
    const all = tableChart(table, { horizontal: true, series: [{ column: 'self' }] })
    expect(chartHeight(all, 300)).toBeGreaterThanOrEqual(chartHeight(option, 300))
    expect(chartHeight(tableChart(table, { series: [{ column: 'self' }] }), 300)).toBe(300)
  })

  it('turns the labels of a few categories when the chart is too narrow for them to stand level', () => {
    const eight = monthlyTable([], { from: '2026-01-01', to: '2026-08-31' }, t)
    const option = tableChart(eight, { series: [] })
    type Axis = { xAxis: { axisLabel: { rotate?: number; width?: number } } }
    expect((fitToWidth(option, 1200) as Axis).xAxis.axisLabel.rotate).toBeUndefined()
    const narrow = fitToWidth(option, 340) as Axis
    expect(narrow.xAxis.axisLabel.rotate).toBe(40)
    expect(narrow.xAxis.axisLabel.width).toBeUndefined()
  })

  it('draws the channel mix as a ring without suppressed channels, each channel in its own colour', () => {
    const mix = channelMixTable(
      [
        { keys: [key('channel', 'counter', '窗口办理')], ...shown(30), share: num(0.3, '30.0%') },
        { keys: [key('channel', 'proxy', '帮办代办')], ...hidden, share: noNum },
        { keys: [key('channel', 'self', '掌上自助')], ...shown(70), share: num(0.7, '70.0%') },
      ],
      t,
    )
    const option = pieChart(mix, 'cases') as { series: { data: { name: string; value: number; itemStyle: { color: string } }[] }[] }
    expect(option.series[0].data).toEqual([
      { name: '窗口办理', value: 30, itemStyle: { color: PALETTE[2] } },
      { name: '掌上自助', value: 70, itemStyle: { color: PALETTE[0] } },
    ])
  })

  it('names a category on the axis without its bracketed explanation', () => {
    expect(shortLabel('全程（提交至审批决定）')).toBe('全程')
    expect(shortLabel('受理')).toBe('受理')
  })

  it('refuses a column the table does not have', () => {
    expect(() => tableChart(table, { series: [{ column: 'nope' }] })).toThrow('no column nope')
  })
})

describe('CSV', () => {
  it('quotes what needs quoting, defuses formulas in text and starts with a byte-order mark', () => {
    const csv = toCsv({
      columns: [
        { key: 'name', label: '乡镇, 街道', numeric: false },
        { key: 'n', label: 'n', numeric: true },
      ],
      rows: [
        { key: 'a', cells: [text('=HYPERLINK("x")'), { display: '<5', value: null, suppressed: true }] },
        { key: 'b', cells: [text('说 "好"\n很好'), { display: '12', value: 12, suppressed: false }] },
      ],
    })
    expect(csv).toBe('\ufeff"乡镇, 街道",n\r\n"\'=HYPERLINK(""x"")",<5\r\n"说 ""好""\n很好",12\r\n')
  })
})
