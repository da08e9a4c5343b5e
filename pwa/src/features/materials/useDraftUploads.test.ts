import { beforeEach, describe, expect, it, vi } from 'vitest'
import { useDraftStore } from '@/features/cases/drafts'
import { freshApp } from '@/features/cases/testing'
import { useDraftUploads } from './useDraftUploads'
import type { UploadedMaterial } from './upload'

const server = vi.hoisted(() => ({ sent: [] as string[], answers: [] as (() => void)[] }))

/** A stand-in for POST /api/materials that answers only when the test says so. */
vi.mock('./upload', () => ({
  uploadMaterial: (_blob: Blob, { name }: { name: string }) => {
    server.sent.push(name)
    const id = `m-${server.sent.length}`
    return new Promise<UploadedMaterial>((resolve) =>
      server.answers.push(() => resolve({ id, kind: 'id_card', contentType: 'image/jpeg', size: 5, url: `/api/materials/${id}` })),
    )
  },
}))

vi.stubGlobal('navigator', { onLine: true })

const tick = () => new Promise((resolve) => setTimeout(resolve, 20))

async function draftWithPhoto() {
  const drafts = useDraftStore()
  await drafts.load('13800000001')
  await drafts.open('case-5', { profileSaved: true })
  const file = await drafts.addFile('case-5', 'id_card', new Blob(['photo'], { type: 'image/jpeg' }), 'id.jpg')
  return { drafts, file }
}

describe('uploads while the person fills in the form', () => {
  beforeEach(async () => {
    await freshApp()
    server.sent.length = 0
    server.answers.length = 0
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
})
