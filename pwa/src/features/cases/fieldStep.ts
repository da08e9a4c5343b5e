// Which wizard step holds the field a server error names.
import type { WizardStep } from './types'

const IDENTITY = new Set(['name', 'idNumber', 'address', 'regionCode', 'phone', 'bankName', 'bankAccount'])

export function stepOfField(field: string | null | undefined, formFieldNames: string[]): WizardStep {
  if (!field) return 'review'
  if (IDENTITY.has(field)) return 'identity'
  if (field.startsWith('members')) return 'household'
  if (field === 'materialIds' || field === 'file' || field === 'kind') return 'materials'
  if (formFieldNames.includes(field) || field === 'form') return 'form'
  return 'review'
}
