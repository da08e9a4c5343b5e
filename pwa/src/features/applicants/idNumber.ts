// 居民身份证号码 (GB 11643-1999): the check character, birth date, sex and age, and errors that say
// which part is wrong (codes; the words are in the locale files under idNumber.errors).

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
const CHECK_CHARS = '10X98765432'
const EARLIEST_BIRTH = '1890-01-01'
// the province-level codes of GB/T 2260 (the first two digits)
const PROVINCES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65',
  '71', '81', '82',
])

export type IdNumberError = 'empty' | 'length' | 'chars' | 'lastChar' | 'region' | 'birthDate' | 'checksum'

export interface IdNumberInfo {
  number: string
  regionCode: string
  /** YYYY-MM-DD */
  birthDate: string
  sex: 'male' | 'female'
  age: number
}

export type IdNumberResult =
  | { ok: true; info: IdNumberInfo }
  | { ok: false; error: IdNumberError; length: number }

/** Returns the number as the server reads it: full-width digits and Ｘ made ASCII, spaces removed, upper case. */
export function normalizeIdNumber(value: string): string {
  return value.normalize('NFKC').replace(/\s+/g, '').toUpperCase()
}

/** Returns the check character for the first 17 digits. */
export function checkCharacter(first17: string): string {
  if (!/^\d{17}/.test(first17)) throw new Error('need 17 digits')
  let sum = 0
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]
  return CHECK_CHARS[sum % 11]
}

function isoDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

function birthDateOf(digits: string): string | null {
  const year = Number(digits.slice(0, 4))
  const month = Number(digits.slice(4, 6))
  const day = Number(digits.slice(6, 8))
  const d = new Date(Date.UTC(year, month - 1, day))
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`
}

/** Returns the age in whole years on `on` of someone born on `birthDate` (YYYY-MM-DD). */
export function ageOn(birthDate: string, on: Date): number {
  const [y, m, d] = birthDate.split('-').map(Number)
  const today = isoDate(on)
  const [ty, tm, td] = today.split('-').map(Number)
  return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0)
}

/**
 * Checks an ID number. With `partial`, a number still being typed is judged only on what is already
 * certain (a letter in the digits, a wrong province, an impossible birth date), not on its length.
 */
export function parseIdNumber(value: string, { today = new Date(), partial = false } = {}): IdNumberResult {
  const number = normalizeIdNumber(value)
  const fail = (error: IdNumberError): IdNumberResult => ({ ok: false, error, length: number.length })
  if (!number) return fail('empty')
  const body = number.slice(0, 17)
  if (!/^\d*$/.test(body)) return fail('chars')
  if (number.length >= 2 && !PROVINCES.has(number.slice(0, 2))) return fail('region')
  const todayIso = isoDate(today)
  if (number.length >= 14) {
    const birth = birthDateOf(number.slice(6, 14))
    if (!birth || birth < EARLIEST_BIRTH || birth > todayIso) return fail('birthDate')
  }
  if (number.length !== 18) {
    if (partial && number.length < 18) return { ok: false, error: 'empty', length: number.length }
    return fail('length')
  }
  if (!/^[\dX]$/.test(number[17])) return fail('lastChar')
  if (checkCharacter(body) !== number[17]) return fail('checksum')
  const birthDate = birthDateOf(number.slice(6, 14)) as string
  return {
    ok: true,
    info: {
      number,
      regionCode: number.slice(0, 6),
      birthDate,
      sex: Number(number[16]) % 2 === 1 ? 'male' : 'female',
      age: ageOn(birthDate, today),
    },
  }
}

/** Returns what to show while the person types: an error code once one is certain, else null. */
export function idNumberErrorWhileTyping(value: string, today = new Date()): IdNumberError | null {
  const result = parseIdNumber(value, { today, partial: true })
  if (result.ok) return null
  return result.error === 'empty' ? null : result.error
}

/** Masks the middle of a number like the server does: 511703********1234. */
export function maskIdNumber(number: string): string {
  const n = normalizeIdNumber(number)
  return n.length === 18 ? `${n.slice(0, 6)}********${n.slice(-4)}` : '*'.repeat(n.length)
}
