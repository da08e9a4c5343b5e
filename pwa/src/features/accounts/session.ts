// The signed-in applicant's session: token and phone, kept in localStorage across visits.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import {
  AuthCodeRequestDocument,
  AuthCodeSignInDocument,
  AuthSignOutDocument,
  type AuthCodeRequestMutation,
  type AuthCodeSignInMutation,
} from '@/generated/graphql'
import { clearUserCache, request, resetWs, unwrap } from '@/modules/graphql'

const STORAGE_KEY = 'dachuan.session'

interface Saved {
  token: string
  phone: string
  expiresAt: string
}

function load(): Saved | null {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null') as Saved | null
    if (saved && new Date(saved.expiresAt).getTime() > Date.now()) return saved
  } catch {
    // unreadable: signed out
  }
  return null
}

type CodeSent = Extract<AuthCodeRequestMutation['authCodeRequest'], { __typename: 'CodeSentSuccess' }>
type SignedIn = Extract<AuthCodeSignInMutation['authCodeSignIn'], { __typename: 'SignInSuccess' }>

export const useSessionStore = defineStore('session', () => {
  const saved = ref<Saved | null>(load())
  const token = computed(() => saved.value?.token ?? null)
  const phone = computed(() => saved.value?.phone ?? null)
  const signedIn = computed(() => token.value !== null)

  /** Asks the server to text a sign-in code; returns the seconds before another may be asked. */
  async function requestCode(phoneNumber: string): Promise<number> {
    const data = await request(AuthCodeRequestDocument, { phone: phoneNumber })
    return unwrap<AuthCodeRequestMutation['authCodeRequest'], CodeSent>(data.authCodeRequest, 'CodeSentSuccess').retryAfter
  }

  async function signIn(phoneNumber: string, code: string): Promise<void> {
    const data = await request(AuthCodeSignInDocument, { phone: phoneNumber, code })
    const ok = unwrap<AuthCodeSignInMutation['authCodeSignIn'], SignedIn>(data.authCodeSignIn, 'SignInSuccess')
    await clearUserCache()
    await resetWs()
    saved.value = { token: ok.token, phone: phoneNumber, expiresAt: ok.expiresAt }
    localStorage.setItem(STORAGE_KEY, JSON.stringify(saved.value))
  }

  /** Forgets the session here (the server is told when it can be reached). */
  async function signOut(): Promise<void> {
    if (saved.value) {
      await request(AuthSignOutDocument, {}).catch(() => undefined)
    }
    forget()
    await clearUserCache()
    await resetWs()
  }

  function forget(): void {
    saved.value = null
    localStorage.removeItem(STORAGE_KEY)
  }

  return { token, phone, signedIn, requestCode, signIn, signOut, forget }
})
