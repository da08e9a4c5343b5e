// A refusal answers the token a request was sent with: it signs out that person, never the one who signed
// in on the phone while it was on its way.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { DomainError, configureAuth, request, unwrap } from './graphql'

const Save = { toString: () => 'mutation ProfileSave { profileSave { __typename } }' } as never
const Me = { toString: () => 'query Me { me { id } }' } as never

const answers: ((body: unknown) => void)[] = []
vi.stubGlobal('fetch', () =>
  new Promise<Response>((resolve) => answers.push((body) => resolve(new Response(JSON.stringify(body), { status: 200 })))),
)

const refusedPayload = { profileSave: { __typename: 'AuthError', code: 'unauthenticated', message: '请先登录' } }
const refusedQuery = { data: null, errors: [{ message: '请先登录', extensions: { code: 'unauthenticated' } }] }

function phone(first: string) {
  const state = { token: first as string | null, signedOut: 0 }
  configureAuth({ token: () => state.token, onUnauthenticated: () => (state.signedOut += 1) })
  return state
}

async function sent(count = 1): Promise<void> {
  while (answers.length < count) await new Promise((resolve) => setTimeout(resolve, 1))
}

afterEach(() => {
  answers.length = 0
})

describe('a refusal and who is signed in', () => {
  it('signs out the person whose token was refused', async () => {
    const state = phone('token-a')
    const mutation = request(Save)
    await sent()
    answers[0]({ data: refusedPayload })
    const data = (await mutation) as typeof refusedPayload
    expect(() => unwrap(data.profileSave as never, 'ProfileSaveSuccess' as never)).toThrow(DomainError)
    expect(state.signedOut).toBe(1)
  })

  it('does not sign out the next person when a mutation sent by the one before is refused', async () => {
    const state = phone('token-a')
    const mutation = request(Save)
    await sent()
    state.token = 'token-b' // A signed out (their session ended on the server), B signed in
    answers[0]({ data: refusedPayload })
    const data = (await mutation) as typeof refusedPayload
    expect(() => unwrap(data.profileSave as never, 'ProfileSaveSuccess' as never)).toThrow(DomainError)
    expect(state.signedOut).toBe(0)
  })

  it('does not sign out the next person when a query sent by the one before is refused', async () => {
    const state = phone('token-a')
    const query = request(Me)
    await sent()
    state.token = 'token-b'
    answers[0](refusedQuery)
    await expect(query).rejects.toThrow('请先登录')
    expect(state.signedOut).toBe(0)

    const again = request(Me) // B's own refusal still signs B out
    await sent(2)
    answers[1](refusedQuery)
    await expect(again).rejects.toThrow('请先登录')
    expect(state.signedOut).toBe(1)
  })
})
