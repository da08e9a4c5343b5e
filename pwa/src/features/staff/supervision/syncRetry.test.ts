import { describe, expect, it, vi } from 'vitest'

const sent: { caseId: string; answer: (v: unknown) => void }[] = []
vi.mock('@/modules/graphql', () => {
  class DomainError extends Error {}
  class NetworkError extends Error {}
  return {
    DomainError,
    NetworkError,
    request: (_doc: unknown, variables: { caseId: string }) =>
      new Promise((resolve) => sent.push({ caseId: variables.caseId, answer: resolve })),
    unwrap: (payload: { __typename: string; message?: string }, success: string) => {
      if (payload.__typename !== success) throw new DomainError(payload.message)
      return payload
    },
  }
})

const { useSyncRetry } = await import('./syncRetry')

const retried = (caseId: string) => ({ provinceSyncRetry: { __typename: 'ProvinceSyncSuccess', sync: { caseId, state: 'pending' } } })
const tick = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('retrying dead provincial pushes', () => {
  it('keeps a case busy until its own answer and never sends it twice meanwhile', async () => {
    sent.length = 0
    const refresh = vi.fn(async () => undefined)
    const { retrying, message, error, retry } = useSyncRetry(refresh, (key) => key)

    const first = retry('1')
    const second = retry('2')
    expect(retrying.value.includes('2')).toBe(true)

    sent[0].answer(retried('1'))
    await first
    // the answer for case 1 leaves case 2's button busy: its push is still on its way
    expect(retrying.value.includes('1')).toBe(false)
    expect(retrying.value.includes('2')).toBe(true)

    // a second tap on case 2 sends nothing (the server would refuse it: no longer dead)
    await retry('2')
    expect(sent.map((s) => s.caseId)).toEqual(['1', '2'])

    sent[1].answer(retried('2'))
    await second
    await tick()
    expect(retrying.value).toEqual([])
    expect(message.value).toBe('staff.supervision.sync.retried')
    expect(error.value).toBe('')
    expect(refresh).toHaveBeenCalledTimes(2)
  })
})
