// The visit records' way to the server, and the one-time wiring of the store to the signed-in account.
import { FieldInvestigateDocument, type FieldInvestigateMutation } from '@/generated/field'
import { useSessionStore } from '@/features/accounts/session'
import { uploadMaterial } from '@/features/materials/upload'
import { invalidate, request, unwrap } from '@/modules/graphql'
import { i18n } from '@/modules/i18n'
import { startVisitTriggers, useVisitStore, type VisitTransport } from './visits'
import { investigationInput, type VisitRecord } from './visitTypes'

type InvestigateOk = Extract<FieldInvestigateMutation['caseInvestigate'], { __typename: 'CaseSuccess' }>

export const VISIT_PHOTO_KIND = 'visit_photo'

/** The account a record belongs to: the signed-in worker's. */
function account(): string | null {
  const session = useSessionStore()
  return session.username ? `staff:${session.username}` : null
}

export const visitTransport: VisitTransport = {
  signedInAs: account,
  async upload(caseId, photo, blob) {
    const uploaded = await uploadMaterial(blob, { name: photo.name, kind: VISIT_PHOTO_KIND, caseId })
    return { id: uploaded.id }
  },
  async investigate(caseId, input, clientKey) {
    const data = await request(FieldInvestigateDocument, { caseId, input, clientKey }, { timeoutMs: 45_000 })
    const ok = unwrap<FieldInvestigateMutation['caseInvestigate'], InvestigateOk>(data.caseInvestigate, 'CaseSuccess')
    invalidate('FieldVisitCase', 'FieldInvestigatingCases', 'StaffCase', 'StaffCases')
    return { status: ok.case.statusLabel }
  },
}

export function buildInput(record: VisitRecord) {
  const t = i18n.global.t as (key: string) => string
  return investigationInput(record, {
    living: t('fieldwork.visit.living'),
    income: t('fieldwork.visit.income'),
    incomeUnit: t('fieldwork.visit.incomeUnit'),
    assets: t('fieldwork.visit.assets'),
    notes: t('fieldwork.visit.notes'),
    location: t('fieldwork.visit.gps'),
  })
}

/** Loads this account's visit records and starts sending them when the network allows. */
export async function ensureVisits(): Promise<ReturnType<typeof useVisitStore>> {
  const store = useVisitStore()
  store.configure(visitTransport, buildInput)
  const who = account()
  try {
    await store.load(who) // waits for a read already under way; reads once per worker
  } catch {
    // IndexedDB unavailable: records cannot be kept offline on this phone
  }
  startVisitTriggers(() => void store.flush())
  return store
}
