// vue-i18n: zh-CN is built in; en-US is loaded when chosen. The choice is remembered.
import { createI18n } from 'vue-i18n'
import zhCN from '@/locales/zh-CN.json'

export type Locale = 'zh-CN' | 'en-US'
export const LOCALES: Locale[] = ['zh-CN', 'en-US']
const STORAGE_KEY = 'dachuan.locale'

type Messages = typeof zhCN

export const i18n = createI18n<[Messages], Locale, false>({
  legacy: false,
  locale: 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN } as Record<Locale, Messages>,
  missingWarn: false,
  fallbackWarn: false,
})

/** Switches the language, loading its messages first. */
export async function setLocale(locale: Locale): Promise<void> {
  if (!i18n.global.availableLocales.includes(locale)) {
    const messages = (await import('@/locales/en-US.json')).default
    i18n.global.setLocaleMessage(locale, messages as unknown as Messages)
  }
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
  try {
    localStorage.setItem(STORAGE_KEY, locale)
  } catch {
    // private mode: the choice lasts this visit
  }
}

/** Restores the language chosen on an earlier visit. */
export async function restoreLocale(): Promise<void> {
  let saved: string | null = null
  try {
    saved = localStorage.getItem(STORAGE_KEY)
  } catch {
    saved = null
  }
  if (saved === 'en-US') await setLocale('en-US')
}

// building an Intl.DateTimeFormat is slow on a cheap phone: one per language and style
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(locale: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${locale}|${withTime}`
  let f = formatters.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hour12: false } : {}),
    })
    formatters.set(key, f)
  }
  return f
}

/** Formats an ISO time for the district (Asia/Shanghai) in the current language. */
export function formatDateTime(iso: string | null | undefined, withTime = true): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return ''
  return formatter(i18n.global.locale.value, withTime).format(d)
}

export function formatDate(iso: string | null | undefined): string {
  return formatDateTime(iso, false)
}
