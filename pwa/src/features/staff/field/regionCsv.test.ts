import { describe, expect, it } from 'vitest'
import { checkRegionCsv, lineOf, splitCsvLine } from './regionCsv'

describe('region CSV check', () => {
  it('accepts a header and good rows of every level', () => {
    const text = 'code,name,level,parent_code\n511703,District,district,\n511703002,Town,township,511703\n511703002099,"New, Village",village,511703002\n'
    expect(checkRegionCsv(text)).toEqual({ rows: 3, problems: [] })
  })

  it('names every bad row with its line number, not only the first', () => {
    const text = [
      'code,name,level,parent_code',
      '51170300209,Short,village,511703002',
      '511703002098,,village,511703002',
      '511703002097,Wrong,town,511703002',
      '511703002096,Orphan,village,',
      '511703003095,Elsewhere,village,511703002',
      '511703002094,Twice,village,511703002',
      '511703002094,Twice,village,511703002',
    ].join('\r\n')
    const { problems } = checkRegionCsv(text)
    expect(problems.map((p) => [p.line, p.key])).toEqual([
      [2, 'code'],
      [3, 'name'],
      [4, 'level'],
      [5, 'parentMissing'],
      [6, 'parentMismatch'],
      [8, 'duplicate'],
    ])
  })

  it('refuses an empty file and splits quoted cells', () => {
    expect(checkRegionCsv('code,name,level,parent_code\n').problems[0].key).toBe('empty')
    expect(splitCsvLine('a,"b, ""c""",d')).toEqual(['a', 'b, "c"', 'd'])
    expect(lineOf('\u7b2c12\u884c\uff1a\u7f16\u7801\u91cd\u590d')).toBe(12)
    expect(lineOf('no line')).toBeNull()
  })
})
