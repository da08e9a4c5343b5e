// Administration of aid items: enable or disable one, and edit its plain-language text and time limits.
// A save answered after the administrator opened another item leaves that item's form as it is.
// An edit carries the version it began from: when another administrator saved the item meanwhile, the server
// refuses it (item_changed) rather than undo the other change; what was typed stays in the form, and saving it
// again, knowingly, writes it over.
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
  // updatedAt: the item's version the form began from ('' once the administrator was told it changed)
  const edit = reactive({ name: '', shortName: '', description: '', limits: {} as Record<string, number>, updatedAt: '' })
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
    edit.updatedAt = String(item.updatedAt ?? '')
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
      if (e instanceof DomainError && e.code === 'item_changed') {
        itemError.value = t('fieldwork.admin.itemChanged')
        itemField.value = ''
        // this form now knows: its next save writes over; "cancel" shows what the other administrator saved
        if (editing.value === input.code) edit.updatedAt = ''
        invalidate('FieldAidItems', 'AidItems')
        return false
      }
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
    const saved = await saveItem({
      code,
      name: edit.name.trim(),
      shortName: edit.shortName.trim(),
      description: edit.description.trim(),
      stageLimits,
      ...(edit.updatedAt ? { expectedUpdatedAt: edit.updatedAt } : {}),
    })
    // the form closes only if it is still this item's: another one opened meanwhile stays open
    if (saved && editing.value === code) editing.value = null
  }

  return { editing, edit, itemError, itemField, itemMessage, startEdit, toggle, saveEdit }
}
