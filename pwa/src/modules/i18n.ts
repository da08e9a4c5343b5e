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

/**
 * Message namespaces that only some pages need (the staff side, the analytics dashboard) live in
 * `locales/<namespace>/<locale>.json` and are loaded with those pages, so the citizens' first screen
 * does not carry them. They are merged under their namespace: `t('staff.queue.title')`.
 */
export type Namespace = 'staff' | 'fieldwork' | 'analytics'
const loadedNamespaces = new Set<Namespace>()
const namespaceLoaders: Record<Namespace, Record<Locale, () => Promise<{ default: object }>>> = {
  staff: {
    'zh-CN': () => import('@/locales/staff/zh-CN.json'),
    'en-US': () => import('@/locales/staff/en-US.json'),
  },
  fieldwork: {
    'zh-CN': () => import('@/locales/fieldwork/zh-CN.json'),
    'en-US': () => import('@/locales/fieldwork/en-US.json'),
  },
  analytics: {
    'zh-CN': () => import('@/locales/analytics/zh-CN.json'),
    'en-US': () => import('@/locales/analytics/en-US.json'),
  },
}

async function mergeNamespace(namespace: Namespace, locale: Locale): Promise<void> {
  const messages = (await namespaceLoaders[namespace][locale]()).default
  i18n.global.mergeLocaleMessage(locale, { [namespace]: messages } as unknown as Messages)
}

/** Loads a namespace's messages for zh-CN (the fallback) and the current language, once. */
export async function loadNamespace(namespace: Namespace): Promise<void> {
  if (loadedNamespaces.has(namespace)) return
  const locale = i18n.global.locale.value as Locale
  await Promise.all([mergeNamespace(namespace, 'zh-CN'), ...(locale === 'zh-CN' ? [] : [mergeNamespace(namespace, locale)])])
  loadedNamespaces.add(namespace)
}

/** counts the choices of language: one still loading when another was made is not applied */
let choices = 0

/** Switches the language, loading its messages first. */
export async function setLocale(locale: Locale): Promise<void> {
  const choice = ++choices
  if (!i18n.global.availableLocales.includes(locale)) {
    const messages = (await import('@/locales/en-US.json')).default
    i18n.global.setLocaleMessage(locale, messages as unknown as Messages)
    await Promise.all([...loadedNamespaces].map((namespace) => mergeNamespace(namespace, locale)))
  }
  if (choice !== choices) return
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

// Asia/Shanghai has kept UTC+8 all year since 1991, so the district's dates are put together by hand
// with the language's own pattern. The first Intl.DateTimeFormat a page builds loads ICU's locale and
// time-zone data: 80–150 ms of a cheap phone's main thread, right in the first paint of the case page.
const DISTRICT_UTC_OFFSET_MS = 8 * 60 * 60 * 1000
const pad2 = (n: number) => String(n).padStart(2, '0')

/** Formats an ISO time for the district (Asia/Shanghai) in the current language. */
export function formatDateTime(iso: string | null | undefined, withTime = true): string {
  if (!iso) return ''
  const ms = new Date(iso).getTime()
  if (Number.isNaN(ms)) return ''
  const local = new Date(ms + DISTRICT_UTC_OFFSET_MS) // read with the UTC getters: the district's wall clock
  const month = local.getUTCMonth() + 1
  const t = i18n.global.t as (key: string, named?: Record<string, unknown>) => string
  const date = t('format.date', {
    year: local.getUTCFullYear(),
    month,
    monthName: t('format.monthNames').split(',')[month - 1],
    day: local.getUTCDate(),
  })
  if (!withTime) return date
  return t('format.dateTime', { date, time: `${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())}` })
}

export function formatDate(iso: string | null | undefined): string {
  return formatDateTime(iso, false)
}
