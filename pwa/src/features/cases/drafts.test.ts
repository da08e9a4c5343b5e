import { beforeEach, describe, expect, it } from 'vitest'
import { useDraftStore } from './drafts'
import { freshApp, reloadApp } from './testing'

const ME = '13800000001'

beforeEach(freshApp)

describe('draft store', () => {
  it('saves each answer as it is typed, so a reload brings it back', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    const draft = await drafts.open('gaoling')
    draft.profile.name = '张'
    draft.profile.name = '张桂兰'
    draft.form.remarks = '独自居住'
    await drafts.flushWrites()

    await reloadApp()
    const again = useDraftStore()
    await again.load(ME)
    expect(again.drafts.gaoling.profile.name).toBe('张桂兰')
    expect(again.drafts.gaoling.form).toEqual({ remarks: '独自居住' })
  })

  it('marks when the first answer was saved (time to apply) and keeps that mark across later answers and reloads', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    const draft = await drafts.open('gaoling')
    expect(draft.firstAnsweredAt).toBeUndefined()
    draft.profile.name = '张桂兰'
    await drafts.flushWrites()
    const first = draft.firstAnsweredAt
    expect(first).toBeGreaterThanOrEqual(draft.createdAt)
    await new Promise((resolve) => setTimeout(resolve, 5))
    draft.form.remarks = '独自居住'
    await drafts.flushWrites()

    await reloadApp()
    const again = useDraftStore()
    await again.load(ME)
    expect(again.drafts.gaoling.firstAnsweredAt).toBe(first)
  })

  it('keeps saving the answers of a page that opened its draft before the app start-up asked for the drafts again', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME) // the page, first
    const page = await drafts.open('gaoling')
    page.profile.name = '张桂兰'
    await drafts.load(ME) // the app's start-up, for the same person
    page.form.remarks = '独自居住'
    await drafts.flushWrites()

    await reloadApp()
    const again = useDraftStore()
    await again.load(ME)
    expect(again.drafts.gaoling.profile.name).toBe('张桂兰')
    expect(again.drafts.gaoling.form).toEqual({ remarks: '独自居住' })
  })

  it('gives a page that asks while the start-up read is under way the stored draft, not a fresh one over it', async () => {
    let drafts = useDraftStore()
    await drafts.load(ME)
    ;(await drafts.open('gaoling')).profile.name = '张桂兰'
    await drafts.flushWrites()

    await reloadApp()
    drafts = useDraftStore()
    const startUp = drafts.load(ME)
    await drafts.load(ME) // the page waits for that read
    expect((await drafts.open('gaoling')).profile.name).toBe('张桂兰')
    await startUp
  })

  it('keeps the last of many quick edits', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    const draft = await drafts.open('dibao')
    for (let i = 1; i <= 50; i++) draft.form.householdSize = i
    await drafts.flushWrites()

    await reloadApp()
    const again = useDraftStore()
    await again.load(ME)
    expect(again.drafts.dibao.form.householdSize).toBe(50)
  })

  it('keeps the same submission key across reloads', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    const key = (await drafts.open('gaoling')).submissionKey
    expect(key).toMatch(/^[A-Za-z0-9_-]{8,64}$/)

    await reloadApp()
    const again = useDraftStore()
    await again.load(ME)
    expect((await again.open('gaoling')).submissionKey).toBe(key)
  })

  it('stores a photo on the phone with the draft', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    await drafts.open('gaoling')
    const file = await drafts.addFile('gaoling', 'id_card', new Blob(['jpeg-bytes'], { type: 'image/jpeg' }), 'id.jpg')

    await reloadApp()
    const again = useDraftStore()
    await again.load(ME)
    expect(again.drafts.gaoling.files).toMatchObject([{ localId: file.localId, kind: 'id_card', state: 'local', size: 10 }])
    const blob = await again.fileBlob(file.localId)
    expect(await blob?.text()).toBe('jpeg-bytes')
  })

  it('gives each of two photos added at once its own entry (both get uploaded)', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    await drafts.open('gaoling')
    const [idCard, bankCard] = await Promise.all([
      drafts.addFile('gaoling', 'id_card', new Blob(['id']), 'id.jpg'),
      drafts.addFile('gaoling', 'bank_card', new Blob(['bank']), 'bank.jpg'),
    ])
    expect(idCard.kind).toBe('id_card')
    expect(bankCard.kind).toBe('bank_card')
    expect(idCard.localId).not.toBe(bankCard.localId)
    // the returned entries are the draft's own: a state change on them is what the page shows
    idCard.state = 'uploaded'
    expect(drafts.drafts.gaoling.files.find((f) => f.kind === 'id_card')?.state).toBe('uploaded')
    expect(drafts.drafts.gaoling.files.find((f) => f.kind === 'bank_card')?.state).toBe('local')
  })

  it('removes a photo and its bytes', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    await drafts.open('gaoling')
    const file = await drafts.addFile('gaoling', 'id_card', new Blob(['x']), 'id.jpg')
    await drafts.removeFile('gaoling', file.localId)
    expect(drafts.drafts.gaoling.files).toEqual([])
    expect(await drafts.fileBlob(file.localId)).toBeUndefined()
  })

  it('starts a new draft from the saved profile without marking it to be saved again', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    const profile = {
      name: '李秀英', idNumber: '511703196803120025', address: '新桥村', townshipCode: '511703002',
      regionCode: '511703002006', phone: ME, bankName: '', bankAccount: '',
    }
    const draft = await drafts.open('dibao', { profile, profileSaved: true })
    expect(draft.profile).toEqual(profile)
    expect(draft.profileDirty).toBe(false)
    expect((await drafts.open('gaoling')).profileDirty).toBe(true)
  })

  it("does not show one person's drafts to another who signs in on the same phone", async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    ;(await drafts.open('gaoling')).profile.name = '李秀英'
    await drafts.flushWrites()

    await drafts.load('13900000002')
    expect(drafts.drafts).toEqual({})
    await drafts.load(ME)
    expect(drafts.drafts.gaoling.profile.name).toBe('李秀英')
  })

  it('discards a draft with its files', async () => {
    const drafts = useDraftStore()
    await drafts.load(ME)
    await drafts.open('gaoling')
    const file = await drafts.addFile('gaoling', 'id_card', new Blob(['x']), 'id.jpg')
    await drafts.discard('gaoling')

    await reloadApp()
    const again = useDraftStore()
    await again.load(ME)
    expect(again.drafts).toEqual({})
    expect(await again.fileBlob(file.localId)).toBeUndefined()
  })
})
