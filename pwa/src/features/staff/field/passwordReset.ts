// Resetting a staff account's password from the account list: the new initial password is shown once, on
// the credentials sheet. One reset per account at a time: a second tap while the first is on its way would
// reset again, and if the answers crossed the sheet would show a password that no longer works.
import { ref, type Ref } from 'vue'
import { FieldStaffPasswordResetDocument, type FieldStaffPasswordResetMutation } from '@/generated/field'
import { invalidate, request, unwrap } from '@/modules/graphql'

type Reset = Extract<FieldStaffPasswordResetMutation['staffPasswordReset'], { __typename: 'StaffCreateSuccess' }>
export type Credential = Reset['credentials'][number]

export function usePasswordReset(credentials: Ref<Credential[]>, accountError: Ref<string>, explain: (e: unknown) => string) {
  /** the accounts whose reset is on its way */
  const resetting = ref<string[]>([])

  async function resetPassword(id: string): Promise<void> {
    if (resetting.value.includes(id)) return
    accountError.value = ''
    resetting.value = [...resetting.value, id]
    try {
      const data = await request(FieldStaffPasswordResetDocument, { staffId: id })
      const ok = unwrap<FieldStaffPasswordResetMutation['staffPasswordReset'], Reset>(data.staffPasswordReset, 'StaffCreateSuccess')
      credentials.value = ok.credentials
      invalidate('FieldStaffAccounts')
      window.scrollTo({ top: 0 })
    } catch (e) {
      accountError.value = explain(e)
    } finally {
      resetting.value = resetting.value.filter((x) => x !== id)
    }
  }

  return { resetting, resetPassword }
}
