// Sending dead provincial pushes again from the sync board: each case's button stays busy until its own
// answer (a supervisor may retry several in a row), and a case already being sent is not sent twice.
import { ref } from 'vue'
import {
  SupervisionProvinceSyncRetryDocument,
  type SupervisionProvinceSyncRetryMutation,
} from '@/generated/staff'
import { DomainError, NetworkError, request, unwrap } from '@/modules/graphql'

type Retried = Extract<SupervisionProvinceSyncRetryMutation['provinceSyncRetry'], { __typename: 'ProvinceSyncSuccess' }>

export function useSyncRetry(refresh: () => Promise<void>, t: (key: string) => string) {
  const retrying = ref<string[]>([])
  const message = ref('')
  const error = ref('')

  async function retry(caseId: string): Promise<void> {
    if (retrying.value.includes(caseId)) return
    message.value = ''
    error.value = ''
    retrying.value = [...retrying.value, caseId]
    try {
      const data = await request(SupervisionProvinceSyncRetryDocument, { caseId })
      unwrap<SupervisionProvinceSyncRetryMutation['provinceSyncRetry'], Retried>(data.provinceSyncRetry, 'ProvinceSyncSuccess')
      message.value = t('staff.supervision.sync.retried')
      await refresh()
    } catch (e) {
      error.value = e instanceof DomainError ? e.message : e instanceof NetworkError ? t('staff.action.network') : t('common.serverError')
    } finally {
      retrying.value = retrying.value.filter((id) => id !== caseId)
    }
  }

  return { retrying, message, error, retry }
}
