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

/** Switches the language, loading its messages first. */
export async function setLocale(locale: Locale): Promise<void> {
  if (!i18n.global.availableLocales.includes(locale)) {
    const messages = (await import('@/locales/en-US.json')).default
    i18n.global.setLocaleMessage(locale, messages as unknown as Messages)
    await Promise.all([...loadedNamespaces].map((namespace) => mergeNamespace(namespace, locale)))
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
