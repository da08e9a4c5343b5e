import { describe, expect, it, vi } from 'vitest'

const sent: { input: { code: string }; answer: (v: unknown) => void }[] = []
const invalidated: string[][] = []
vi.mock('@/modules/graphql', () => {
  class DomainError extends Error {
    field: string | null = null
    constructor(
      message?: string,
      readonly code: string = 'invalid',
    ) {
      super(message)
    }
  }
  return {
    DomainError,
    invalidate: (...names: string[]) => invalidated.push(names),
    request: (_doc: unknown, variables: { input: { code: string } }) =>
      new Promise((resolve) => sent.push({ input: variables.input, answer: resolve })),
    unwrap: (payload: { __typename: string; message?: string; code?: string }, success: string) => {
      if (payload.__typename !== success) throw new DomainError(payload.message, payload.code)
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
  updatedAt: `2026-11-27T06:00:00.000000+00:00`,
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

  it('sends the version it began from; told another administrator saved meanwhile, keeps what was typed and writes over on the next save', async () => {
    sent.length = 0
    const e = useItemEdit((key) => key, () => 'error')
    e.startEdit(item('dibao', 'A') as never)
    e.edit.description = 'mine'
    let saving = e.saveEdit()
    expect(sent[0].input).toMatchObject({ code: 'dibao', description: 'mine', expectedUpdatedAt: '2026-11-27T06:00:00.000000+00:00' })
    sent[0].answer({ aidItemUpdate: { __typename: 'ConflictError', code: 'item_changed', message: '已被修改' } })
    await saving

    expect(e.itemError.value).toBe('fieldwork.admin.itemChanged')
    expect(e.editing.value).toBe('dibao') // the form stays open…
    expect(e.edit.description).toBe('mine') // …with what was typed
    expect(invalidated.at(-1)).toEqual(['FieldAidItems', 'AidItems']) // "cancel" shows the other administrator's

    saving = e.saveEdit()
    expect(sent[1].input).toMatchObject({ code: 'dibao', description: 'mine' })
    expect(sent[1].input).not.toHaveProperty('expectedUpdatedAt') // knowingly: this one writes over
    sent[1].answer(saved('dibao', 'A'))
    await saving
    expect(e.editing.value).toBeNull()
  })

  it('a conflict answered after another item was opened leaves that form as it is', async () => {
    sent.length = 0
    const e = useItemEdit((key) => key, () => 'error')
    e.startEdit(item('dibao', 'A') as never)
    const saving = e.saveEdit()
    e.startEdit(item('tekun', 'B') as never)
    sent[0].answer({ aidItemUpdate: { __typename: 'ConflictError', code: 'item_changed', message: '已被修改' } })
    await saving
    expect(e.editing.value).toBe('tekun')
    expect(e.edit.updatedAt).toBe('2026-11-27T06:00:00.000000+00:00') // B's save still checks its version
  })
})
