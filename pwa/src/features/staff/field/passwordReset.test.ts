import { describe, expect, it, vi } from 'vitest'
import { ref } from 'vue'

const sent: { staffId: string; answer: (v: unknown) => void }[] = []
vi.mock('@/modules/graphql', () => ({
  invalidate: () => undefined,
  request: (_doc: unknown, variables: { staffId: string }) => new Promise((resolve) => sent.push({ staffId: variables.staffId, answer: resolve })),
  unwrap: (payload: { __typename: string }, success: string) => {
    if (payload.__typename !== success) throw new Error(payload.__typename)
    return payload
  },
}))
vi.stubGlobal('window', { scrollTo: () => undefined })

const { usePasswordReset } = await import('./passwordReset')

const answer = (id: string, password: string) => ({
  staffPasswordReset: { __typename: 'StaffCreateSuccess', credentials: [{ account: { id, username: `cw${id}` }, initialPassword: password }] },
})

describe('resetting a staff password', () => {
  it('resets an account once however often it is tapped while the reset is on its way, and shows that reset\'s password', async () => {
    sent.length = 0
    const credentials = ref<never[]>([])
    const accountError = ref('')
    const { resetting, resetPassword } = usePasswordReset(credentials, accountError, () => 'explained')

    const first = resetPassword('7')
    const second = resetPassword('7')
    const other = resetPassword('8')
    expect(sent.map((s) => s.staffId)).toEqual(['7', '8'])
    expect(resetting.value).toEqual(['7', '8'])

    sent[0].answer(answer('7', 'Kp3xq9Tz'))
    await Promise.all([first, second])
    expect(credentials.value).toEqual(answer('7', 'Kp3xq9Tz').staffPasswordReset.credentials)
    expect(resetting.value).toEqual(['8'])

    sent[1].answer(answer('8', 'Wm7rt2Qa'))
    await other
    expect(resetting.value).toEqual([])
    expect(accountError.value).toBe('')

    // once answered, the account can be reset again
    void resetPassword('7')
    expect(sent).toHaveLength(3)
  })
})
