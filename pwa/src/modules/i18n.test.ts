// The district's dates, put together by hand, read exactly as Intl.DateTimeFormat in Asia/Shanghai would.
import { afterEach, describe, expect, it, vi } from 'vitest'
import enUS from '@/locales/en-US.json'
import { formatDate, formatDateTime, i18n, setLocale, type Locale } from './i18n'

function intl(locale: Locale, withTime: boolean): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat(locale, {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    // h23, as Chromium shows hour12: false (Node's ICU would write midnight as 24:00)
    ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : {}),
  })
}

/** Every 7 hours and 13 minutes through two years, and the instants around the district's midnights. */
function instants(): Date[] {
  const out: Date[] = []
  for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2027, 0, 1); t += (7 * 60 + 13) * 60_000) out.push(new Date(t))
  for (const day of ['2025-12-31', '2026-02-28', '2026-06-30', '2026-09-30', '2028-02-28']) {
    const midnight = Date.parse(`${day}T16:00:00Z`) // 00:00 the next day in the district
    out.push(new Date(midnight - 60_000), new Date(midnight), new Date(midnight + 60_000))
  }
  return out
}

describe('formatDateTime', () => {
  afterEach(() => {
    i18n.global.locale.value = 'zh-CN'
  })

  for (const locale of ['zh-CN', 'en-US'] as Locale[]) {
    it(`matches Intl.DateTimeFormat in Asia/Shanghai (${locale})`, () => {
      if (locale === 'en-US') i18n.global.setLocaleMessage('en-US', enUS as never)
      i18n.global.locale.value = locale
      const withTime = intl(locale, true)
      const dateOnly = intl(locale, false)
      for (const d of instants()) {
        const iso = d.toISOString()
        expect(formatDateTime(iso)).toBe(withTime.format(d))
        expect(formatDate(iso)).toBe(dateOnly.format(d))
      }
    })
  }

  it('reads a time with an offset, and gives nothing for no time or a broken one', () => {
    expect(formatDateTime('2026-11-27T00:05:00+08:00')).toBe('2026\u5e7411\u670827\u65e5 00:05')
    expect(formatDate(null)).toBe('')
    expect(formatDateTime('')).toBe('')
    expect(formatDateTime('not a time')).toBe('')
  })
})

describe('setLocale', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    i18n.global.locale.value = 'zh-CN'
  })

  it('keeps the language chosen last when English was still loading', async () => {
    const saved = new Map<string, string>()
    vi.stubGlobal('document', { documentElement: { lang: 'zh-CN' } })
    vi.stubGlobal('localStorage', { setItem: (k: string, v: string) => saved.set(k, v), getItem: (k: string) => saved.get(k) ?? null })
    delete (i18n.global.messages.value as Record<string, unknown>)['en-US'] // not loaded yet on this visit
    // English chosen (its messages still on their way), then 中文 again at once
    const english = setLocale('en-US')
    const chinese = setLocale('zh-CN')
    await Promise.all([english, chinese])
    expect(i18n.global.locale.value).toBe('zh-CN')
    expect(document.documentElement.lang).toBe('zh-CN')
    expect([...saved.values()]).toEqual(['zh-CN'])
  })
})
