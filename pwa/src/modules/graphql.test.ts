// What one person's queries keep on the phone never outlives their session.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { freshApp } from '@/features/cases/testing'
import { clearUserCache, fetchQuery, setQueryData, useQuery } from './graphql'
import { db } from './db'

const MyCases = { toString: () => 'query MyCases { cases { edges { node { id } } } }' } as never

const StaffCase = { toString: () => 'query StaffCase($id: ID!) { case(id: $id) { id status } }' } as never

/** A network that answers only when the test says so. */
const answers: ((data?: unknown) => void)[] = []
vi.stubGlobal('fetch', () =>
  new Promise<Response>((resolve) =>
    answers.push((data = { cases: { edges: [{ node: { id: '7' } }] } }) => resolve(new Response(JSON.stringify({ data }), { status: 200 }))),
  ),
)

describe('query cache', () => {
  beforeEach(async () => {
    await freshApp()
    answers.length = 0
  })

  it('does not store on the phone an answer for the person who signed out while it was on its way', async () => {
    const theirs = fetchQuery(MyCases, {}, 'user')
    await new Promise((resolve) => setTimeout(resolve, 10))
    await clearUserCache() // signed out; the next person signs in on this phone
    answers.forEach((answer) => answer())
    await theirs
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await (await db()).getAllKeys('queries')).toEqual([])
  })

  it('stores the answer of a query that was not interrupted', async () => {
    const mine = fetchQuery(MyCases, {}, 'user')
    await new Promise((resolve) => setTimeout(resolve, 10))
    answers.forEach((answer) => answer())
    await mine
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(await (await db()).getAllKeys('queries')).toEqual(['user:MyCases:{}'])
  })

  it('keeps the case an action returned over an answer to a read sent before the action', async () => {
    const opened = fetchQuery(StaffCase, { id: '5' }) // the case page opened: the case is on its way
    await new Promise((resolve) => setTimeout(resolve, 10))
    // meanwhile the worker accepted it (from what the phone had stored): the page shows the answer
    setQueryData(StaffCase, { id: '5' }, { case: { id: '5', status: 'ACCEPTED' } })
    answers[0]({ case: { id: '5', status: 'SUBMITTED' } }) // read before the acceptance, arriving after it
    await opened
    const shown = useQuery(StaffCase, { id: '5' }, { maxAge: 60_000 })
    expect(shown.data.value).toEqual({ case: { id: '5', status: 'ACCEPTED' } })
  })

  it('reads the case again when asked after a new step, even with an earlier read still on its way', async () => {
    const shown = useQuery(StaffCase, { id: '6' }) // the page opened: the case is on its way
    await new Promise((resolve) => setTimeout(resolve, 10))
    const again = shown.refetch() // a live step arrived: read the case again
    answers[0]({ case: { id: '6', status: 'SUBMITTED' } }) // the first read, answered as of before the step
    await new Promise((resolve) => setTimeout(resolve, 10))
    answers[1]?.({ case: { id: '6', status: 'ACCEPTED' } })
    await again
    expect(answers).toHaveLength(2)
    expect(shown.data.value).toEqual({ case: { id: '6', status: 'ACCEPTED' } })
  })
})
