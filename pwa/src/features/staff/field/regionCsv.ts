// Checks a region CSV (code,name,level,parent_code) row by row before it is sent, so every bad row is
// named at once; the server checks again and imports all rows or none.

export interface RowProblem {
  line: number
  /** a message key under fieldwork.admin.csv and its parameters */
  key: string
  params: Record<string, string | number>
}

const LENGTH: Record<string, number> = { district: 6, township: 9, village: 12 }
const PARENT: Record<string, string | null> = { district: null, township: 'district', village: 'township' }
const LEVEL_ALIASES: Record<string, string> = {
  '\u533a\u53bf': 'district',
  '\u4e61\u9547': 'township',
  '\u4e61\u9547(\u8857\u9053)': 'township',
  '\u8857\u9053': 'township',
  '\u6751': 'village',
  '\u6751(\u793e\u533a)': 'village',
  '\u793e\u533a': 'village',
}

/** Splits one CSV line, honouring double quotes. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      out.push(cell)
      cell = ''
    } else cell += c
  }
  out.push(cell)
  return out
}

export function checkRegionCsv(text: string): { rows: number; problems: RowProblem[] } {
  const problems: RowProblem[] = []
  const seen = new Set<string>()
  let rows = 0
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/)
  lines.forEach((raw, i) => {
    const line = i + 1
    const cells = splitCsvLine(raw).map((c) => c.trim())
    if (cells.every((c) => !c)) return
    if (line === 1 && /^(code|\u7f16\u7801|\u533a\u5212\u4ee3\u7801)$/i.test(cells[0])) return
    rows++
    if (cells.length < 3) {
      problems.push({ line, key: 'columns', params: {} })
      return
    }
    const [code, name, rawLevel, parent = ''] = cells
    const level = LENGTH[rawLevel] ? rawLevel : (LEVEL_ALIASES[rawLevel] ?? '')
    if (!level) {
      problems.push({ line, key: 'level', params: { level: rawLevel } })
      return
    }
    if (!/^\d+$/.test(code) || code.length !== LENGTH[level]) problems.push({ line, key: 'code', params: { code, n: LENGTH[level] } })
    if (!name || name.length > 64) problems.push({ line, key: 'name', params: {} })
    if (seen.has(code)) problems.push({ line, key: 'duplicate', params: { code } })
    seen.add(code)
    const parentLevel = PARENT[level]
    if (parentLevel === null && parent) problems.push({ line, key: 'districtParent', params: {} })
    if (parentLevel) {
      if (!parent) problems.push({ line, key: 'parentMissing', params: {} })
      else if (!code.startsWith(parent) || parent.length !== LENGTH[parentLevel]) problems.push({ line, key: 'parentMismatch', params: { parent, code } })
    }
  })
  if (!rows) problems.push({ line: 1, key: 'empty', params: {} })
  return { rows, problems }
}

/** The row a server message names (第N行：…), if any. */
export function lineOf(message: string): number | null {
  const m = /\u7b2c(\d+)\u884c/.exec(message)
  return m ? Number(m[1]) : null
}
