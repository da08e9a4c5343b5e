// The signed-in person and their real-name profile (kept on the phone for offline use).
import { computed } from 'vue'
import { MeDocument, type MeQuery } from '@/generated/applicants'
import { useQuery } from '@/modules/graphql'
import { useSessionStore } from '@/features/accounts/session'
import type { MemberDraft, ProfileDraft } from '@/features/cases/types'

export type ApplicantProfile = NonNullable<MeQuery['me']['applicant']>

export function useMe() {
  const session = useSessionStore()
  const query = useQuery(MeDocument, {}, { persist: 'user', enabled: () => session.signedIn, maxAge: 60_000 })
  const applicant = computed(() => (session.signedIn ? (query.data.value?.me.applicant ?? null) : null))
  return { ...query, applicant }
}

export function profileDraftFrom(a: ApplicantProfile, phone: string | null): ProfileDraft {
  return {
    name: a.name,
    idNumber: a.idNumber,
    address: a.address,
    townshipCode: a.regionCode.slice(0, 9),
    regionCode: a.regionCode,
    phone: a.phone ?? phone ?? '',
    bankName: a.bankName ?? '',
    // a masked number (****) cannot be sent back: leave it empty so the saved one is kept
    bankAccount: a.bankAccount && !a.bankAccount.includes('*') ? a.bankAccount : '',
  }
}

export function memberDraftsFrom(a: ApplicantProfile): MemberDraft[] {
  return a.members.map((m) => ({
    localId: m.id,
    name: m.name,
    relation: m.relation,
    idNumber: m.idNumber,
    monthlyIncome: String(Number(m.monthlyIncome)),
    health: m.health,
    disability: m.disability,
  }))
}
