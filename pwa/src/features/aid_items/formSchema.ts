// Checks an answer against its field in the item's form schema, the way the API does (api/kit/forms.py).
import type { FormField } from './useAidItems'

export interface Problem {
  key: string
  params?: Record<string, string | number>
}

const INTEGER = /^[+-]?\d+$/
const NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

export function isMissing(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && !value.trim())
}

/** Returns the problem with a value, or null. `final` also reports a required field left empty. */
export function checkField(field: FormField, value: unknown, final = false): Problem | null {
  const label = field.label
  if (isMissing(value)) {
    if (field.required && final) return { key: field.type === 'select' || field.type === 'boolean' ? 'form.choose' : 'form.required', params: { label } }
    return null
  }
  if (field.type === 'integer' || field.type === 'number') {
    const text = String(value).normalize('NFKC').trim()
    const ok = field.type === 'integer' ? INTEGER.test(text) : NUMBER.test(text)
    if (!ok) return { key: field.type === 'integer' ? 'form.integer' : 'form.number', params: { label } }
    const n = Number(text)
    if (field.min !== undefined && n < field.min) return { key: 'form.min', params: { label, min: field.min } }
    if (field.max !== undefined && n > field.max) return { key: 'form.max', params: { label, max: field.max } }
    return null
  }
  if (field.type === 'date') {
    const text = String(value)
    const d = new Date(`${text}T00:00:00Z`)
    if (!DATE.test(text) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== text) {
      return { key: 'form.date', params: { label } }
    }
    return null
  }
  if ((field.type === 'text' || field.type === 'textarea') && field.max_length && String(value).trim().length > field.max_length) {
    return { key: 'form.maxLength', params: { label, n: field.max_length } }
  }
  return null
}

/** Returns the answers as the API expects them: numbers as numbers, empty optionals left out. */
export function cleanForm(fields: FormField[], answers: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const field of fields) {
    const value = answers[field.name]
    if (isMissing(value)) continue
    if (field.type === 'integer' || field.type === 'number') out[field.name] = Number(String(value).normalize('NFKC').trim())
    else if (typeof value === 'string') out[field.name] = value.trim()
    else out[field.name] = value
  }
  return out
}
