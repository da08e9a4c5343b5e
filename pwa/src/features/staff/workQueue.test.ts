import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'

const invalidated: string[][] = []
vi.mock('@/modules/graphql', () => ({
  invalidate: (...names: string[]) => invalidated.push(names),
  onWsConnection: () => () => undefined,
  subscribe: () => () => undefined,
}))

const { useWorkQueueStore } = await import('./workQueue')

const message = (caseId: string, action: string, inQueue = true) => ({
  caseId,
  number: `DC2026-00000${caseId}`,
  status: 'SUBMITTED' as const,
  action,
  seq: 1,
  itemCode: 'dibao',
  inQueue,
})

describe('the live work queue', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    invalidated.length = 0
  })

  it('counts each case that arrives once, forgets one that leaves, and refreshes what is on screen', () => {
    const queue = useWorkQueueStore()
    queue.receive(message('1', 'submit'))
    queue.receive(message('2', 'resubmit'))
    queue.receive(message('1', 'clock_warning'))
    expect(queue.newCount).toBe(2)
    expect(queue.isFresh('1')).toBe(true)

    queue.receive(message('2', 'accept', false))
    expect(queue.newCount).toBe(1)
    expect(queue.isFresh('2')).toBe(false)
    expect(invalidated).toHaveLength(4)
    expect(invalidated[0]).toEqual(['StaffCaseCounts', 'StaffCases'])
  })

  it('does not call a change to a case already there new work, and forgets everything once looked at', () => {
    const queue = useWorkQueueStore()
    queue.receive(message('3', 'return'))
    expect(queue.newCount).toBe(0)
    queue.receive(message('4', 'submit'))
    queue.markSeen()
    expect(queue.newCount).toBe(0)
    expect(invalidated).toHaveLength(2)
  })
})
