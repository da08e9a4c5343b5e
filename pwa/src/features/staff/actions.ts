// The workflow actions a handler takes on a case: what each one asks for, the checks made before
// sending (the server checks again and answers with typed errors), and the mutation it calls.
import {
  StaffCaseAcceptDocument,
  StaffCaseApproveDocument,
  StaffCaseCloseDocument,
  StaffCaseExtendDocument,
  StaffCasePayStartDocument,
  StaffCaseRefuseDocument,
  StaffCaseRejectDocument,
  StaffCaseResubmitDocument,
  StaffCaseReturnDocument,
  StaffCaseReviewDocument,
  StaffCaseVerifyDocument,
  StaffCaseWithdrawDocument,
  type StaffCaseFieldsFragment,
} from '@/generated/staff'
import { request, unwrap } from '@/modules/graphql'

export type StaffCase = StaffCaseFieldsFragment

/** One input of an action form; `name` is also the API's field name used in ValidationError.field. */
export type ActionInput = 'comment' | 'reason' | 'missingMaterials' | 'result' | 'householdMonthlyIncome' | 'note' | 'opinion' | 'amount' | 'startMonth'

export interface ActionSpec {
  inputs: ActionInput[]
  required: ActionInput[]
  /** a decision against the applicant, shown in red */
  danger?: boolean
  /** done on another page (the home-visit form), not here */
  elsewhere?: boolean
}

export const ACTION_SPECS: Record<string, ActionSpec> = {
  accept: { inputs: ['comment'], required: [] },
  return: { inputs: ['reason', 'missingMaterials'], required: ['reason'] },
  refuse: { inputs: ['reason'], required: ['reason'], danger: true },
  investigate: { inputs: [], required: [], elsewhere: true },
  verify: { inputs: ['result', 'householdMonthlyIncome', 'note'], required: ['result'] },
  review: { inputs: ['opinion'], required: [] },
  approve: { inputs: ['amount', 'startMonth', 'comment'], required: ['amount', 'startMonth'] },
  reject: { inputs: ['reason'], required: ['reason'], danger: true },
  pay_start: { inputs: ['comment'], required: [] },
  close: { inputs: ['comment'], required: [] },
  extend: { inputs: ['reason'], required: ['reason'] },
  withdraw: { inputs: ['comment'], required: [], danger: true },
  resubmit: { inputs: ['comment'], required: [] },
}

/** The order actions are offered in: the usual next step first, decisions against last. */
const ORDER = ['accept', 'investigate', 'verify', 'review', 'approve', 'pay_start', 'close', 'resubmit', 'return', 'extend', 'refuse', 'reject', 'withdraw']

/** The actions to offer: exactly those the server lists, that this page knows how to take. */
export function offeredActions(available: string[]): string[] {
  return ORDER.filter((a) => available.includes(a) && a in ACTION_SPECS)
}

export interface ActionValues {
  comment: string
  reason: string
  missingMaterials: string[]
  result: '' | 'PASS' | 'FAIL'
  householdMonthlyIncome: string
  note: string
  opinion: string
  amount: string
  startMonth: string
}

export function emptyValues(now = new Date()): ActionValues {
  // approvals usually start paying the month after the decision
  const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1))
  const month = `${next.getUTCFullYear()}-${String(next.getUTCMonth() + 1).padStart(2, '0')}`
  return { comment: '', reason: '', missingMaterials: [], result: '', householdMonthlyIncome: '', note: '', opinion: '', amount: '', startMonth: month }
}

const MONTH = /^20\d{2}-(0[1-9]|1[0-2])$/
const MONEY = /^\d+(\.\d{1,2})?$/

/** Problems found before sending, as message keys under staff.action.errors, by input. */
export function checkValues(action: string, v: ActionValues): Partial<Record<ActionInput, string>> {
  const spec = ACTION_SPECS[action]
  const out: Partial<Record<ActionInput, string>> = {}
  if (!spec) return out
  for (const input of spec.required) {
    const value = v[input]
    if (Array.isArray(value) ? !value.length : !String(value).trim()) out[input] = `${input}Required`
  }
  const amount = v.amount.normalize('NFKC').trim()
  if (spec.inputs.includes('amount') && amount && (!MONEY.test(amount) || Number(amount) <= 0)) out.amount = 'amountInvalid'
  const income = v.householdMonthlyIncome.normalize('NFKC').trim()
  if (spec.inputs.includes('householdMonthlyIncome') && income && !MONEY.test(income)) out.householdMonthlyIncome = 'amountInvalid'
  if (spec.inputs.includes('startMonth') && v.startMonth.trim() && !MONTH.test(v.startMonth.trim())) out.startMonth = 'monthInvalid'
  for (const input of ['reason', 'comment', 'note', 'opinion'] as const) {
    if (spec.inputs.includes(input) && v[input].trim().length > 1000) out[input] = 'tooLong'
  }
  return out
}

/** Maps the API's ValidationError.field to the input it marks. */
export function inputOfField(field: string | null): ActionInput | null {
  if (!field) return null
  const known: Record<string, ActionInput> = {
    reason: 'reason',
    comment: 'comment',
    amount: 'amount',
    startMonth: 'startMonth',
    result: 'result',
    householdMonthlyIncome: 'householdMonthlyIncome',
    note: 'note',
    opinion: 'opinion',
    missingMaterials: 'missingMaterials',
  }
  return known[field] ?? null
}

type Payload = { __typename: string; code?: string; message?: string; field?: string | null }
type Ok = Payload & { __typename: 'CaseSuccess'; case: StaffCase }

function ok(payload: Payload): StaffCase {
  return unwrap<Payload, Ok>(payload, 'CaseSuccess').case
}

/** Takes the action; returns the case as it now stands, or throws the API's typed error. */
export async function runAction(action: string, caseId: string, v: ActionValues): Promise<StaffCase> {
  const comment = v.comment.trim()
  const reason = v.reason.trim()
  switch (action) {
    case 'accept':
      return ok((await request(StaffCaseAcceptDocument, { caseId, comment })).caseAccept)
    case 'return':
      return ok((await request(StaffCaseReturnDocument, { caseId, reason, missingMaterials: v.missingMaterials })).caseReturn)
    case 'refuse':
      return ok((await request(StaffCaseRefuseDocument, { caseId, reason })).caseRefuse)
    case 'verify': {
      const income = v.householdMonthlyIncome.normalize('NFKC').trim()
      const input = { result: v.result === 'FAIL' ? ('FAIL' as const) : ('PASS' as const), note: v.note.trim(), householdMonthlyIncome: income || null }
      return ok((await request(StaffCaseVerifyDocument, { caseId, input })).caseVerify)
    }
    case 'review':
      return ok((await request(StaffCaseReviewDocument, { caseId, opinion: v.opinion.trim() })).caseReview)
    case 'approve':
      return ok(
        (await request(StaffCaseApproveDocument, { caseId, amount: v.amount.normalize('NFKC').trim(), startMonth: v.startMonth.trim(), comment }))
          .caseApprove,
      )
    case 'reject':
      return ok((await request(StaffCaseRejectDocument, { caseId, reason })).caseReject)
    case 'pay_start':
      return ok((await request(StaffCasePayStartDocument, { caseId, comment })).casePayStart)
    case 'close':
      return ok((await request(StaffCaseCloseDocument, { caseId, comment })).caseClose)
    case 'extend':
      return ok((await request(StaffCaseExtendDocument, { caseId, reason })).caseExtend)
    case 'withdraw':
      return ok((await request(StaffCaseWithdrawDocument, { caseId, comment })).caseWithdraw)
    case 'resubmit':
      return ok((await request(StaffCaseResubmitDocument, { caseId, comment })).caseResubmit)
    default:
      throw new Error(`unknown action ${action}`)
  }
}
