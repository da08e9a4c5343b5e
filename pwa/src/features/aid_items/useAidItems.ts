// The aid catalogue: fetched once, kept on the phone so the home page and the wizard open offline.
import { computed } from 'vue'
import { AidItemsDocument, type AidItemsQuery } from '@/generated/aidItems'
import { useQuery } from '@/modules/graphql'

export type AidItem = AidItemsQuery['aidItems'][number]

export interface FormField {
  name: string
  label: string
  type: 'text' | 'textarea' | 'integer' | 'number' | 'date' | 'boolean' | 'select'
  required?: boolean
  options?: { value: string; label: string }[]
  min?: number
  max?: number
  max_length?: number
  hint?: string
}

export function useAidItems() {
  const query = useQuery(AidItemsDocument, {}, { persist: 'public', maxAge: 10 * 60 * 1000 })
  const items = computed(() => query.data.value?.aidItems ?? [])
  function byCode(code: string): AidItem | undefined {
    return items.value.find((i) => i.code === code)
  }
  return { ...query, items, byCode }
}

export function formFields(item: AidItem): FormField[] {
  return Array.isArray(item.form) ? (item.form as FormField[]) : []
}

/** Whether the item checks the household's income and assets (it then asks for household members). */
export function checksHousehold(item: AidItem): boolean {
  return item.route.includes('verify')
}

export interface DescriptionParts {
  who: string
  what: string
  how: string
}

const FULL_STOP = '\u3002'

/** Splits an item's description: who qualifies (first sentence), what they get (second), the rest. */
export function splitDescription(description: string): DescriptionParts {
  const sentences = description
    .split(FULL_STOP)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s + FULL_STOP)
  return { who: sentences[0] ?? '', what: sentences[1] ?? '', how: sentences.slice(2).join('') }
}

export interface StepInfo {
  stage: string
  workingDays: number | null
  noticeDays: number
}

/** The route's steps with their time limits, for "how long each step takes". */
export function stepsOf(item: AidItem): StepInfo[] {
  const limits = (item.stageLimits ?? {}) as Record<string, { working_days?: number }>
  return item.route.map((stage) => ({
    stage,
    workingDays: limits[stage]?.working_days ?? null,
    noticeDays: stage === 'review' ? item.noticeDays : 0,
  }))
}

/** The least age an item accepts, told to the person before they go further (高龄津贴: 80). */
export const MIN_AGE: Record<string, number> = { gaoling: 80 }
