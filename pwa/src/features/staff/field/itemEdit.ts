// Administration of aid items: enable or disable one, and edit its plain-language text and time limits.
// A save answered after the administrator opened another item leaves that item's form as it is.
import { reactive, ref } from 'vue'
import {
  FieldAidItemUpdateDocument,
  type FieldAidItemUpdateMutation,
  type FieldAidItemsQuery,
} from '@/generated/field'
import { DomainError, invalidate, request, unwrap } from '@/modules/graphql'

type ItemUpdated = Extract<FieldAidItemUpdateMutation['aidItemUpdate'], { __typename: 'AidItemUpdateSuccess' }>
export type Item = FieldAidItemsQuery['aidItems'][number]

export function limitsOf(item: Item): Record<string, number> {
  const out: Record<string, number> = {}
  const raw = (item.stageLimits ?? {}) as Record<string, { working_days?: number } | number>
  for (const stage of item.route) {
    const v = raw[stage]
    out[stage] = typeof v === 'number' ? v : (v?.working_days ?? 0)
  }
  return out
}

export function useItemEdit(t: (key: string, named?: Record<string, unknown>) => string, explain: (e: unknown) => string) {
  const editing = ref<string | null>(null)
  const edit = reactive({ name: '', shortName: '', description: '', limits: {} as Record<string, number> })
  const itemError = ref('')
  const itemField = ref('')
  const itemMessage = ref('')

  function startEdit(item: Item): void {
    editing.value = item.code
    itemError.value = ''
    itemField.value = ''
    itemMessage.value = ''
    edit.name = item.name
    edit.shortName = item.shortName
    edit.description = item.description
    edit.limits = limitsOf(item)
  }

  async function saveItem(input: Record<string, unknown> & { code: string }): Promise<boolean> {
    itemError.value = ''
    itemField.value = ''
    itemMessage.value = ''
    try {
      const data = await request(FieldAidItemUpdateDocument, { input })
      const ok = unwrap<FieldAidItemUpdateMutation['aidItemUpdate'], ItemUpdated>(data.aidItemUpdate, 'AidItemUpdateSuccess')
      itemMessage.value = t('fieldwork.admin.itemSaved', { name: ok.item.name })
      invalidate('FieldAidItems', 'AidItems')
      return true
    } catch (e) {
      itemError.value = explain(e)
      itemField.value = e instanceof DomainError ? (e.field ?? '') : ''
      return false
    }
  }

  async function toggle(item: Item, enabled: boolean): Promise<void> {
    await saveItem({ code: item.code, enabled })
  }

  async function saveEdit(): Promise<void> {
    const code = editing.value
    if (!code) return
    const stageLimits: Record<string, number> = {}
    for (const [stage, days] of Object.entries(edit.limits)) stageLimits[stage] = Math.round(Number(days))
    const saved = await saveItem({ code, name: edit.name.trim(), shortName: edit.shortName.trim(), description: edit.description.trim(), stageLimits })
    // the form closes only if it is still this item's: another one opened meanwhile stays open
    if (saved && editing.value === code) editing.value = null
  }

  return { editing, edit, itemError, itemField, itemMessage, startEdit, toggle, saveEdit }
}
