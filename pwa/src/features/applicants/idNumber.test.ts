import { describe, expect, it } from 'vitest'
import { ageOn, checkCharacter, idNumberErrorWhileTyping, maskIdNumber, normalizeIdNumber, parseIdNumber } from './idNumber'

const TODAY = new Date(2026, 2, 1) // 1 March 2026

function make(first17: string): string {
  return first17 + checkCharacter(first17)
}

describe('checkCharacter', () => {
  it('matches the GB 11643 example number 11010519491231002X', () => {
    expect(checkCharacter('11010519491231002')).toBe('X')
  })

  it('computes 0 and digits as well as X', () => {
    // sum mod 11 maps through 1 0 X 9 8 7 6 5 4 3 2
    expect(make('51170319400101001')).toMatch(/^\d{17}[\dX]$/)
    expect(parseIdNumber(make('51170319400101001'), { today: TODAY }).ok).toBe(true)
  })
})

describe('parseIdNumber', () => {
  it('reads the birth date, sex and age from a valid number', () => {
    const result = parseIdNumber(make('51170319400615001'), { today: TODAY })
    expect(result).toEqual({
      ok: true,
      info: { number: make('51170319400615001'), regionCode: '511703', birthDate: '1940-06-15', sex: 'male', age: 85 },
    })
  })

  it('reads an even sequence as a woman', () => {
    const result = parseIdNumber(make('51170319680312002'), { today: TODAY })
    expect(result.ok && result.info.sex).toBe('female')
  })

  it('names a wrong check character', () => {
    const good = make('51170319400615001')
    const wrongLast = good[17] === '1' ? '2' : '1'
    expect(parseIdNumber(good.slice(0, 17) + wrongLast, { today: TODAY })).toEqual({ ok: false, error: 'checksum', length: 18 })
  })

  it('names the length when the number is too short or too long', () => {
    expect(parseIdNumber('51170319400615', { today: TODAY })).toEqual({ ok: false, error: 'length', length: 14 })
    expect(parseIdNumber(make('51170319400615001') + '1', { today: TODAY })).toMatchObject({ error: 'length', length: 19 })
  })

  it('names letters among the first 17 digits', () => {
    expect(parseIdNumber('5117031940061500A1', { today: TODAY })).toMatchObject({ ok: false, error: 'chars' })
  })

  it('names a last character that is neither a digit nor X', () => {
    expect(parseIdNumber('51170319400615001Y', { today: TODAY })).toMatchObject({ ok: false, error: 'lastChar' })
  })

  it('names an unknown province code', () => {
    expect(parseIdNumber(make('99170319400615001'), { today: TODAY })).toMatchObject({ ok: false, error: 'region' })
  })

  it('names an impossible or future birth date', () => {
    expect(parseIdNumber(make('51170319400230001'), { today: TODAY })).toMatchObject({ error: 'birthDate' })
    expect(parseIdNumber(make('51170320300101001'), { today: TODAY })).toMatchObject({ error: 'birthDate' })
    expect(parseIdNumber(make('51170318800101001'), { today: TODAY })).toMatchObject({ error: 'birthDate' })
  })

  it('accepts full-width digits, a lower-case x and spaces the way phone keyboards type them', () => {
    const ascii = '11010519491231002X'
    const typed = ' １１０１０５ 19491231002x'
    expect(normalizeIdNumber(typed)).toBe(ascii)
    expect(parseIdNumber(typed, { today: TODAY }).ok).toBe(true)
  })

  it('calls an empty value empty', () => {
    expect(parseIdNumber('  ', { today: TODAY })).toMatchObject({ ok: false, error: 'empty' })
  })
})

describe('idNumberErrorWhileTyping', () => {
  it('stays quiet while a plausible number is still being typed', () => {
    expect(idNumberErrorWhileTyping('5117031940', TODAY)).toBeNull()
  })

  it('speaks up as soon as a part is certainly wrong', () => {
    expect(idNumberErrorWhileTyping('98', TODAY)).toBe('region')
    expect(idNumberErrorWhileTyping('51170319401332', TODAY)).toBe('birthDate')
    expect(idNumberErrorWhileTyping('5117a', TODAY)).toBe('chars')
  })

  it('reports the check character once all 18 are typed', () => {
    const good = make('51170319400615001')
    expect(idNumberErrorWhileTyping(good, TODAY)).toBeNull()
    expect(idNumberErrorWhileTyping(good.slice(0, 17) + (good[17] === '3' ? '4' : '3'), TODAY)).toBe('checksum')
  })
})

describe('ageOn', () => {
  it('counts a birthday not yet reached this year as the year before', () => {
    expect(ageOn('1946-03-02', TODAY)).toBe(79)
    expect(ageOn('1946-03-01', TODAY)).toBe(80)
  })
})

describe('maskIdNumber', () => {
  it('shows the first six and last four characters', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X')
  })
})
