import { describe, expect, it, vi } from 'vitest'

const sent: { input: { code: string }; answer: (v: unknown) => void }[] = []
const invalidated: string[][] = []
vi.mock('@/modules/graphql', () => {
  class DomainError extends Error {
    field: string | null = null
  }
  return {
    DomainError,
    invalidate: (...names: string[]) => invalidated.push(names),
    request: (_doc: unknown, variables: { input: { code: string } }) =>
      new Promise((resolve) => sent.push({ input: variables.input, answer: resolve })),
    unwrap: (payload: { __typename: string; message?: string }, success: string) => {
      if (payload.__typename !== success) throw new DomainError(payload.message)
      return payload
    },
  }
})

const { useItemEdit } = await import('./itemEdit')

const item = (code: string, name: string) => ({
  code,
  name,
  shortName: name,
  description: `${name} description`,
  enabled: true,
  route: ['accept', 'review'],
  stageLimits: { accept: { working_days: 3 }, review: 5 },
})
const saved = (code: string, name: string) => ({ aidItemUpdate: { __typename: 'AidItemUpdateSuccess', item: { code, name } } })

describe('editing aid items', () => {
  it('closes the saved item only: another item opened while the save was on its way keeps its form and what was typed', async () => {
    sent.length = 0
    const e = useItemEdit((key) => key, () => 'error')
    e.startEdit(item('dibao', 'A') as never)
    e.edit.description = 'new A'
    const saving = e.saveEdit()
    expect(sent[0].input).toMatchObject({ code: 'dibao', description: 'new A', stageLimits: { accept: 3, review: 5 } })

    e.startEdit(item('tekun', 'B') as never)
    e.edit.description = 'typed for B'
    sent[0].answer(saved('dibao', 'A'))
    await saving

    expect(e.itemMessage.value).toBe('fieldwork.admin.itemSaved')
    expect(e.editing.value).toBe('tekun')
    expect(e.edit.description).toBe('typed for B')
    expect(invalidated.at(-1)).toEqual(['FieldAidItems', 'AidItems'])
  })

  it('closes the form once its own save is answered', async () => {
    sent.length = 0
    const e = useItemEdit((key) => key, () => 'error')
    e.startEdit(item('dibao', 'A') as never)
    const saving = e.saveEdit()
    sent[0].answer(saved('dibao', 'A'))
    await saving
    expect(e.editing.value).toBeNull()
  })
})
