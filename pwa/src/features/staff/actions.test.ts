import { describe, expect, it } from 'vitest'
import { checkValues, emptyValues, inputOfField, offeredActions } from './actions'

describe('staff actions', () => {
  it('offers exactly what the server lists, in working order, and nothing it does not know', () => {
    expect(offeredActions(['refuse', 'return', 'accept', 'teleport'])).toEqual(['accept', 'return', 'refuse'])
    expect(offeredActions([])).toEqual([])
  })

  it('asks a return, refusal and rejection for a reason', () => {
    for (const action of ['return', 'refuse', 'reject']) {
      expect(checkValues(action, emptyValues())).toEqual({ reason: 'reasonRequired' })
      expect(checkValues(action, { ...emptyValues(), reason: '  ' })).toEqual({ reason: 'reasonRequired' })
      expect(checkValues(action, { ...emptyValues(), reason: 'x' })).toEqual({})
    }
  })

  it('asks an approval for an amount and a start month in the right form', () => {
    const v = { ...emptyValues(new Date('2026-11-26T00:00:00Z')) }
    expect(v.startMonth).toBe('2026-12')
    expect(checkValues('approve', v)).toEqual({ amount: 'amountRequired' })
    expect(checkValues('approve', { ...v, amount: '0' })).toEqual({ amount: 'amountInvalid' })
    expect(checkValues('approve', { ...v, amount: '12.345' })).toEqual({ amount: 'amountInvalid' })
    expect(checkValues('approve', { ...v, amount: '６５０', startMonth: '2026-13' })).toEqual({ startMonth: 'monthInvalid' })
    expect(checkValues('approve', { ...v, amount: '650.5' })).toEqual({})
  })

  it('asks a verification for its conclusion', () => {
    expect(checkValues('verify', emptyValues())).toEqual({ result: 'resultRequired' })
    expect(checkValues('verify', { ...emptyValues(), result: 'FAIL', householdMonthlyIncome: 'abc' })).toEqual({ householdMonthlyIncome: 'amountInvalid' })
  })

  it('turns the API field names into the inputs they mark', () => {
    expect(inputOfField('startMonth')).toBe('startMonth')
    expect(inputOfField('caseId')).toBeNull()
    expect(inputOfField(null)).toBeNull()
  })
})
