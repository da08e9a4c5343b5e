// The proxy service's calls: register someone with their household, and submit on their behalf.
import {
  FieldApplicantRegisterDocument,
  FieldHouseholdSetDocument,
  FieldProxySubmitDocument,
  type FieldApplicantRegisterMutation,
  type FieldHouseholdSetMutation,
  type FieldProxySubmitMutation,
} from '@/generated/field'
import { membersInput, profileInput } from '@/features/cases/transport'
import type { MemberDraft, ProfileDraft } from '@/features/cases/types'
import { invalidate, request, unwrap } from '@/modules/graphql'

type RegisterOk = Extract<FieldApplicantRegisterMutation['applicantRegister'], { __typename: 'ApplicantSuccess' }>
type HouseholdOk = Extract<FieldHouseholdSetMutation['householdSet'], { __typename: 'ApplicantSuccess' }>
type SubmitOk = Extract<FieldProxySubmitMutation['caseSubmit'], { __typename: 'CaseSuccess' }>

export type FieldApplicant = RegisterOk['applicant']

/** Registers a person (no phone needed) and, when given, their household; returns the saved profile. */
export async function registerApplicant(profile: ProfileDraft, members: MemberDraft[]): Promise<FieldApplicant> {
  const data = await request(FieldApplicantRegisterDocument, { input: profileInput(profile) })
  let applicant = unwrap<FieldApplicantRegisterMutation['applicantRegister'], RegisterOk>(data.applicantRegister, 'ApplicantSuccess').applicant
  if (members.length) applicant = await saveMembers(applicant.id, members)
  invalidate('FieldApplicants')
  return applicant
}

export async function saveMembers(applicantId: string, members: MemberDraft[]): Promise<FieldApplicant> {
  const data = await request(FieldHouseholdSetDocument, { applicantId, members: membersInput(members) })
  return unwrap<FieldHouseholdSetMutation['householdSet'], HouseholdOk>(data.householdSet, 'ApplicantSuccess').applicant
}

export interface ProxySubmit {
  itemCode: string
  applicantId: string
  submissionKey: string
  form: Record<string, unknown>
  materialIds: string[]
  draftStartedAt?: string
}

export async function submitForApplicant(input: ProxySubmit): Promise<SubmitOk['case']> {
  const data = await request(FieldProxySubmitDocument, { input }, { timeoutMs: 45_000 })
  const ok = unwrap<FieldProxySubmitMutation['caseSubmit'], SubmitOk>(data.caseSubmit, 'CaseSuccess')
  invalidate('FieldProxyCases')
  return ok.case
}
