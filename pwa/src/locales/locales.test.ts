// The two locales have the same keys, and no component or module carries user-visible Chinese text.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import zhCN from './zh-CN.json'
import enUS from './en-US.json'
import staffZh from './staff/zh-CN.json'
import staffEn from './staff/en-US.json'
import fieldworkZh from './fieldwork/zh-CN.json'
import fieldworkEn from './fieldwork/en-US.json'
import analyticsZh from './analytics/zh-CN.json'
import analyticsEn from './analytics/en-US.json'

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]))
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name: string) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'locales' || name === 'generated' ? [] : sources(path)
    return /\.(vue|ts)$/.test(name) && !name.endsWith('.test.ts') ? [path] : []
  })
}

// CJK ideographs, CJK punctuation and full-width forms
const CHINESE = /[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]/

/** Drops comments: they may use the domain's Chinese terms; only code and templates must not. */
function withoutComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1')
}

describe('locales', () => {
  it('en-US has exactly the keys of zh-CN', () => {
    expect(keys(enUS).sort()).toEqual(keys(zhCN).sort())
  })

  it('each lazily loaded namespace has the same keys in both languages and does not clash with the base', () => {
    for (const [name, zh, en] of [['staff', staffZh, staffEn], ['fieldwork', fieldworkZh, fieldworkEn], ['analytics', analyticsZh, analyticsEn]] as const) {
      expect(keys(en).sort()).toEqual(keys(zh).sort())
      expect(Object.keys(zhCN)).not.toContain(name)
    }
  })

  it('no .vue or .ts file outside the locale files contains Chinese text', () => {
    const root = fileURLToPath(new URL('..', import.meta.url))
    const offenders = sources(root)
      .filter((path) => CHINESE.test(withoutComments(readFileSync(path, 'utf8'))))
      .map((path) => relative(root, path))
    expect(offenders).toEqual([])
  })
})
