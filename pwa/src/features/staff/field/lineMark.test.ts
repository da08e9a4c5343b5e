import { describe, expect, it, vi } from 'vitest'
import { ref } from 'vue'

const sent: { variables: { lineId: string; paid: boolean; reason: string }; answer: (v: unknown) => void }[] = []
vi.mock('@/modules/graphql', () => ({
  request: (_doc: unknown, variables: { lineId: string; paid: boolean; reason: string }) =>
    new Promise((resolve) => sent.push({ variables, answer: resolve })),
  unwrap: (payload: { __typename: string }, success: string) => {
    if (payload.__typename !== success) throw new Error(payload.__typename)
    return payload
  },
}))

const { useLineMark } = await import('./lineMark')

const marked = { paymentLineMark: { __typename: 'PaymentLineSuccess', line: { id: 'x' } } }

function setUp() {
  sent.length = 0
  const busy = ref(false)
  const error = ref('')
  const refetch = vi.fn(async () => undefined)
  return { busy, error, refetch, ...useLineMark({ busy, error, refetch, t: (key) => key, explain: () => 'explained' }) }
}

describe('marking payment lines', () => {
  it('leaves the failure another line is being given when an earlier line is answered', async () => {
    const m = setUp()
    const paying = m.mark('1', true)
    expect(m.busy.value).toBe(true)
    // meanwhile the officer opens line 2's failure and writes its reason
    m.failing.value = '2'
    m.reason.value = 'account closed'
    sent[0].answer(marked)
    await paying

    expect(m.failing.value).toBe('2')
    expect(m.reason.value).toBe('account closed')
    expect(m.refetch).toHaveBeenCalledTimes(1)
    expect(m.busy.value).toBe(false)
  })

  it('closes a line\'s own failure form once it is answered, and asks for a reason first', async () => {
    const m = setUp()
    m.failing.value = '3'
    await m.mark('3', false)
    expect(m.reasonError.value).toBe('fieldwork.finance.reasonRequired')
    expect(sent).toHaveLength(0)

    m.reason.value = ' wrong name '
    const failing = m.mark('3', false)
    expect(sent[0].variables).toEqual({ lineId: '3', paid: false, reason: 'wrong name' })
    sent[0].answer(marked)
    await failing
    expect(m.failing.value).toBeNull()
    expect(m.reason.value).toBe('')
  })
})
