import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useDraftStore } from '@/features/cases/drafts'
import { useSessionStore } from '@/features/accounts/session'
import { freshApp } from '@/features/cases/testing'
import { useDraftUploads } from './useDraftUploads'
import type { UploadedMaterial } from './upload'

const ME = '13800000001'
const server = vi.hoisted(() => ({ sent: [] as string[], sentAs: [] as (string | null)[], answers: [] as (() => void)[], atOnce: false }))
/** who is signed in on the phone */
const phone = vi.hoisted(() => ({ now: '13800000001' as string | null }))

vi.mock('@/features/accounts/session', () => ({
  useSessionStore: () => ({ isStaff: false, username: null, get phone() { return phone.now } }),
}))

/** A stand-in for POST /api/materials that answers only when the test says so. */
vi.mock('./upload', () => ({
  uploadMaterial: (_blob: Blob, { name }: { name: string }) => {
    server.sent.push(name)
    server.sentAs.push(useSessionStore().phone)
    const id = `m-${server.sent.length}`
    return new Promise<UploadedMaterial>((resolve) => {
      const answer = () => resolve({ id, kind: 'id_card', contentType: 'image/jpeg', size: 5, url: `/api/materials/${id}` })
      if (server.atOnce) answer()
      else server.answers.push(answer)
    })
  },
}))

vi.stubGlobal('navigator', { onLine: true })

const tick = () => new Promise((resolve) => setTimeout(resolve, 20))

async function draftWithPhoto() {
  const drafts = useDraftStore()
  await drafts.load(ME)
  await drafts.open('case-5', { profileSaved: true })
  const file = await drafts.addFile('case-5', 'id_card', new Blob(['photo'], { type: 'image/jpeg' }), 'id.jpg')
  return { drafts, file }
}

describe('uploads while the person fills in the form', () => {
  beforeEach(async () => {
    await freshApp()
    server.sent.length = 0
    server.sentAs.length = 0
    server.answers.length = 0
    server.atOnce = false
    phone.now = ME
  })

  it('sends a photo once when it is asked for twice at the same moment', async () => {
    const { file } = await draftWithPhoto()
    const uploads = useDraftUploads('case-5', '5')
    const both = Promise.all([uploads.uploadOne(file.localId), uploads.uploadOne(file.localId)])
    await tick()
    server.answers.forEach((answer) => answer())
    await both
    expect(server.sent).toEqual(['id.jpg'])
  })

  it('waits for a photo already on its way before saying everything is uploaded', async () => {
    const { drafts, file } = await draftWithPhoto()
    const uploads = useDraftUploads('case-5', '5')
    void uploads.uploadOne(file.localId) // picked a moment ago: on its way
    await tick()
    // 重新提交 (resubmit) asks for every pending upload, then sends the case with what has an id
    const pending = uploads.uploadPending().then(() => drafts.drafts['case-5'].files.map((f) => f.materialId))
    await tick()
    server.answers.forEach((answer) => answer())
    expect(await pending).toEqual(['m-1'])
    expect(server.sent).toEqual(['id.jpg'])
    expect(uploads.busy()).toBe(false)
  })

  it('does not send a photo of one person with the token of someone who signed in while the photos went up', async () => {
    const { drafts } = await draftWithPhoto()
    await drafts.addFile('case-5', 'hukou', new Blob(['page'], { type: 'image/jpeg' }), 'hukou.jpg')
    const uploads = useDraftUploads('case-5', '5')
    const all = uploads.uploadPending()
    await tick()
    phone.now = '13900000002' // signed out, and the next person signed in on this phone
    server.atOnce = true
    server.answers.forEach((answer) => answer())
    await all
    expect(server.sentAs).toEqual([ME])
    expect(drafts.drafts['case-5'].files.map((f) => f.materialId)).toEqual(['m-1', null])
  })
})
