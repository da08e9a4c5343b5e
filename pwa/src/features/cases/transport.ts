// The outbox's way to the server: the real API calls.
import { CaseSubmitDocument, type CaseSubmitMutation } from '@/generated/cases'
import {
  HouseholdSetDocument,
  MeDocument,
  ProfileSaveDocument,
  type HouseholdSetMutation,
  type ProfileSaveMutation,
} from '@/generated/applicants'
import { useSessionStore } from '@/features/accounts/session'
import { invalidate, request, unwrap } from '@/modules/graphql'
import { uploadMaterial } from '@/features/materials/upload'
import type { OutboxTransport } from './outbox'
import type { MemberDraft, ProfileDraft } from './types'

type ProfileOk = Extract<ProfileSaveMutation['profileSave'], { __typename: 'ApplicantSuccess' }>
type HouseholdOk = Extract<HouseholdSetMutation['householdSet'], { __typename: 'ApplicantSuccess' }>
type SubmitOk = Extract<CaseSubmitMutation['caseSubmit'], { __typename: 'CaseSuccess' }>

export function profileInput(p: ProfileDraft) {
  return {
    name: p.name.trim(),
    idNumber: p.idNumber.trim(),
    address: p.address.trim(),
    regionCode: p.regionCode,
    phone: p.phone.trim() || null,
    bankName: p.bankName.trim() || null,
    bankAccount: p.bankAccount.replace(/\s/g, '') || null,
  }
}

export function membersInput(members: MemberDraft[]) {
  return members.map((m) => ({
    name: m.name.trim(),
    relation: m.relation,
    idNumber: m.idNumber.trim(),
    monthlyIncome: m.monthlyIncome.trim() || '0',
    health: m.health.trim(),
    disability: m.disability.trim(),
  }))
}

export async function saveProfile(profile: ProfileDraft): Promise<ProfileOk['applicant']> {
  const data = await request(ProfileSaveDocument, { input: profileInput(profile) })
  const ok = unwrap<ProfileSaveMutation['profileSave'], ProfileOk>(data.profileSave, 'ApplicantSuccess')
  invalidate('Me')
  return ok.applicant
}

export async function saveHousehold(applicantId: string, members: MemberDraft[]): Promise<HouseholdOk['applicant']> {
  const data = await request(HouseholdSetDocument, { applicantId, members: membersInput(members) })
  const ok = unwrap<HouseholdSetMutation['householdSet'], HouseholdOk>(data.householdSet, 'ApplicantSuccess')
  invalidate('Me')
  return ok.applicant
}

export const apiTransport: OutboxTransport = {
  signedInAs() {
    return useSessionStore().phone
  },
  async saveProfile(profile) {
    return { applicantId: (await saveProfile(profile)).id }
  },
  async currentApplicantId() {
    return (await request(MeDocument, {})).me.applicant?.id ?? null
  },
  async setHousehold(applicantId, members) {
    await saveHousehold(applicantId, members)
  },
  async upload(file, blob, onProgress) {
    const uploaded = await uploadMaterial(blob, { name: file.name, kind: file.kind, onProgress })
    return { id: uploaded.id }
  },
  async submit(input) {
    const data = await request(CaseSubmitDocument, { input }, { timeoutMs: 45_000 })
    const ok = unwrap<CaseSubmitMutation['caseSubmit'], SubmitOk>(data.caseSubmit, 'CaseSuccess')
    invalidate('MyCases')
    return { caseId: ok.case.id, number: ok.case.number }
  },
}
