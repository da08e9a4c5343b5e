// The signed-in applicant's session: token and phone, kept in localStorage across visits.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import {
  AuthCodeRequestDocument,
  AuthCodeSignInDocument,
  AuthSignOutDocument,
  AuthStaffSignInDocument,
  MeRoleDocument,
  type AuthCodeRequestMutation,
  type AuthCodeSignInMutation,
  type AuthStaffSignInMutation,
} from '@/generated/accounts'
import { clearUserCache, request, resetWs, unwrap } from '@/modules/graphql'

const STORAGE_KEY = 'dachuan.session'

export type SessionKind = 'applicant' | 'staff'

interface Saved {
  token: string
  /** the applicant's phone; empty for staff */
  phone: string
  expiresAt: string
  /** absent in sessions saved before staff could sign in: those are applicants */
  kind?: SessionKind
  /** staff only: the account name and role (village_worker, township_officer, …) */
  username?: string
  role?: string
  mustChangePassword?: boolean
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
  const kind = computed<SessionKind | null>(() => (saved.value ? (saved.value.kind ?? 'applicant') : null))
  const isStaff = computed(() => kind.value === 'staff')
  const role = computed(() => (saved.value?.kind === 'staff' ? (saved.value.role ?? null) : null))
  const username = computed(() => saved.value?.username ?? null)
  const mustChangePassword = computed(() => saved.value?.mustChangePassword === true)

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

  /** Signs a staff member in with an allocated account; the role comes from `me`. */
  async function signInStaff(account: string, password: string): Promise<void> {
    const data = await request(AuthStaffSignInDocument, { username: account, password })
    type StaffSignedIn = Extract<AuthStaffSignInMutation['authStaffSignIn'], { __typename: 'SignInSuccess' }>
    const ok = unwrap<AuthStaffSignInMutation['authStaffSignIn'], StaffSignedIn>(data.authStaffSignIn, 'SignInSuccess')
    await clearUserCache()
    await resetWs()
    const me = await request(MeRoleDocument, {}, { token: ok.token })
    saved.value = {
      token: ok.token,
      phone: '',
      expiresAt: ok.expiresAt,
      kind: 'staff',
      username: account,
      role: me.me.role,
      mustChangePassword: ok.mustChangePassword,
    }
    localStorage.setItem(STORAGE_KEY, JSON.stringify(saved.value))
  }

  /** Records that the forced first password change is done. */
  function passwordChanged(): void {
    if (!saved.value) return
    saved.value = { ...saved.value, mustChangePassword: false }
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

  return {
    token,
    phone,
    signedIn,
    kind,
    isStaff,
    role,
    username,
    mustChangePassword,
    requestCode,
    signIn,
    signInStaff,
    passwordChanged,
    signOut,
    forget,
  }
})
