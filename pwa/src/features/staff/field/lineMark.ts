// Marking a payment line paid or failed (a failure needs its reason). A line answered after the finance
// officer began failing another one leaves that other line's form and reason as they are.
import { ref, type Ref } from 'vue'
import { FieldPaymentLineMarkDocument, type FieldPaymentLineMarkMutation } from '@/generated/field'
import { request, unwrap } from '@/modules/graphql'

type Marked = Extract<FieldPaymentLineMarkMutation['paymentLineMark'], { __typename: 'PaymentLineSuccess' }>

export interface LineMarkOptions {
  /** shared with the page's other actions */
  busy: Ref<boolean>
  error: Ref<string>
  refetch: () => Promise<unknown>
  t: (key: string) => string
  explain: (e: unknown) => string
}

export function useLineMark({ busy, error, refetch, t, explain }: LineMarkOptions) {
  /** the line whose failure is being written */
  const failing = ref<string | null>(null)
  const reason = ref('')
  const reasonError = ref('')

  async function mark(lineId: string, paid: boolean): Promise<void> {
    error.value = ''
    reasonError.value = ''
    if (!paid && !reason.value.trim()) {
      reasonError.value = t('fieldwork.finance.reasonRequired')
      return
    }
    busy.value = true
    try {
      const data = await request(FieldPaymentLineMarkDocument, { lineId, paid, reason: paid ? '' : reason.value.trim() })
      unwrap<FieldPaymentLineMarkMutation['paymentLineMark'], Marked>(data.paymentLineMark, 'PaymentLineSuccess')
      if (failing.value === lineId) {
        failing.value = null
        reason.value = ''
      }
      await refetch()
    } catch (e) {
      error.value = explain(e)
    } finally {
      busy.value = false
    }
  }

  return { failing, reason, reasonError, mark }
}
