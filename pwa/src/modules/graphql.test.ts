// What one person's queries keep on the phone never outlives their session.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { freshApp } from '@/features/cases/testing'
import { clearUserCache, fetchQuery } from './graphql'
import { db } from './db'

const MyCases = { toString: () => 'query MyCases { cases { edges { node { id } } } }' } as never

/** A network that answers only when the test says so. */
const answers: (() => void)[] = []
vi.stubGlobal('fetch', () =>
  new Promise<Response>((resolve) =>
    answers.push(() => resolve(new Response(JSON.stringify({ data: { cases: { edges: [{ node: { id: '7' } }] } } }), { status: 200 }))),
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
})
