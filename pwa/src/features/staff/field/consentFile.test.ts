import { describe, expect, it } from 'vitest'
import type { DraftFile } from '@/features/cases/types'
import { useConsentFile } from './consentFile'

/** A draft's files as the drafts store keeps them: the bytes are written first, the file listed after. */
function fakeDrafts() {
  const files: DraftFile[] = []
  let n = 0
  const later = () => new Promise((resolve) => setTimeout(resolve, 1))
  return {
    files,
    async addFile(_key: string, kind: string, blob: Blob, name: string): Promise<DraftFile> {
      const file: DraftFile = { localId: `f${++n}`, kind, name, type: blob.type, size: blob.size, state: 'local', progress: 0, materialId: null, error: null }
      await later()
      files.push(file)
      await later()
      return file
    },
    async removeFile(_key: string, localId: string): Promise<void> {
      const i = files.findIndex((f) => f.localId === localId)
      if (i >= 0) files.splice(i, 1)
      await later()
    },
  }
}

function setUp() {
  const store = fakeDrafts()
  const uploaded: string[] = []
  const consent = useConsentFile('proxy_consent', () => 'proxy-1-dibao', () => store.files.filter((f) => f.kind === 'proxy_consent'), store, (id) => uploaded.push(id))
  return { store, uploaded, consent }
}

describe('the proxy consent in the draft', () => {
  it('keeps one consent when a second arrives while the first is being kept (a double tap on the pad)', async () => {
    const { store, uploaded, consent } = setUp()
    await Promise.all([consent.keep(new Blob(['first']), 'consent-signature.png'), consent.keep(new Blob(['second']), 'consent-signature.png')])
    expect(store.files.map((f) => f.localId)).toEqual(['f2'])
    expect(uploaded).toEqual(['f1', 'f2'])
  })

  it('replaces the kept consent and removes it on request, after a replacement on its way', async () => {
    const { store, consent } = setUp()
    await consent.keep(new Blob(['sig']), 'consent-signature.png')
    const photo = consent.keep(new Blob(['photo']), 'paper.jpg')
    const removed = consent.remove()
    await Promise.all([photo, removed])
    expect(store.files).toEqual([])
  })
})
