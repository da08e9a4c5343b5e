// Checks the profile and household answers as they are typed; problems are locale keys.
import type { Problem } from '@/features/aid_items/formSchema'
import type { MemberDraft, ProfileDraft } from '@/features/cases/types'
import { idNumberErrorWhileTyping, normalizeIdNumber, parseIdNumber } from './idNumber'

// 2 to 30 Chinese characters or Latin letters, with the middle dot of minority names
const NAME = /^[\u4e00-\u9fa5A-Za-z\u00b7\u2022. ]{2,30}$/

export type Problems<K extends string> = Partial<Record<K, Problem>>

function idProblem(value: string, final: boolean, today: Date): Problem | undefined {
  if (final) {
    const result = parseIdNumber(value, { today })
    if (!result.ok) return { key: `idNumber.errors.${result.error}`, params: { n: result.length } }
    return undefined
  }
  const error = idNumberErrorWhileTyping(value, today)
  return error ? { key: `idNumber.errors.${error}`, params: { n: normalizeIdNumber(value).length } } : undefined
}

export function checkName(value: string, final: boolean): Problem | undefined {
  const name = value.trim()
  if (!name) return final ? { key: 'form.required', params: { label: '' } } : undefined
  if (!NAME.test(name)) return { key: 'form.nameInvalid' }
  return undefined
}

export function checkProfile(p: ProfileDraft, final: boolean, today = new Date()): Problems<keyof ProfileDraft> {
  const out: Problems<keyof ProfileDraft> = {}
  const name = checkName(p.name, final)
  if (name) out.name = name.key === 'form.required' ? { key: 'form.nameInvalid' } : name
  const id = p.idNumber.trim() || final ? idProblem(p.idNumber, final, today) : undefined
  if (id) out.idNumber = id
  if (final && !p.address.trim()) out.address = { key: 'form.addressEmpty' }
  if (p.address.trim().length > 200) out.address = { key: 'form.maxLength', params: { label: '', n: 200 } }
  if (final && !p.townshipCode) out.townshipCode = { key: 'form.townshipEmpty' }
  if (final && !p.regionCode) out.regionCode = { key: 'form.regionEmpty' }
  const account = p.bankAccount.replace(/\s/g, '')
  if (account && !/^\d{12,30}$/.test(account)) out.bankAccount = { key: 'form.bankAccountInvalid' }
  if (final && account && !p.bankName.trim()) out.bankName = { key: 'form.bankNameEmpty' }
  return out
}

export type MemberProblems = Problems<'name' | 'relation' | 'idNumber' | 'monthlyIncome'>

export function checkMembers(members: MemberDraft[], applicantIdNumber: string, final: boolean, today = new Date()): MemberProblems[] {
  const seen = new Set<string>([normalizeIdNumber(applicantIdNumber)])
  return members.map((m) => {
    const out: MemberProblems = {}
    if (!m.name.trim()) {
      if (final) out.name = { key: 'form.nameInvalid' }
    } else if (!NAME.test(m.name.trim())) out.name = { key: 'form.nameInvalid' }
    if (final && !m.relation) out.relation = { key: 'form.relationEmpty' }
    const id = m.idNumber.trim() || final ? idProblem(m.idNumber, final, today) : undefined
    if (id) out.idNumber = id
    const normal = normalizeIdNumber(m.idNumber)
    if (!id && normal.length === 18) {
      if (seen.has(normal)) out.idNumber = { key: 'form.memberDuplicate' }
      seen.add(normal)
    }
    const income = m.monthlyIncome.trim()
    if (income && (!/^\d+(\.\d{1,2})?$/.test(income) || Number(income) > 1_000_000)) {
      out.monthlyIncome = { key: 'form.incomeInvalid' }
    }
    return out
  })
}

export function hasProblems(problems: object | object[]): boolean {
  return Array.isArray(problems) ? problems.some((p) => Object.keys(p).length > 0) : Object.keys(problems).length > 0
}
