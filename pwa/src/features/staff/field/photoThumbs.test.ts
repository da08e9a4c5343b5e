import { afterEach, describe, expect, it, vi } from 'vitest'
import { effectScope, nextTick, ref } from 'vue'
import { usePhotoThumbs } from './photoThumbs'

const made: string[] = []
const revoked: string[] = []
vi.spyOn(URL, 'createObjectURL').mockImplementation(() => {
  const url = `blob:thumb-${made.length + 1}`
  made.push(url)
  return url
})
vi.spyOn(URL, 'revokeObjectURL').mockImplementation((url: string) => void revoked.push(url))

/** the phone's store answering each read when told to */
function slowStore() {
  const reads: { id: string; answer: () => void }[] = []
  const blobOf = (id: string) => new Promise<Blob | undefined>((resolve) => reads.push({ id, answer: () => resolve(new Blob([id])) }))
  return { reads, blobOf }
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('home-visit photo thumbnails', () => {
  afterEach(() => {
    made.length = 0
    revoked.length = 0
  })

  it('makes no URL for a photo read after the page closed', async () => {
    const { reads, blobOf } = slowStore()
    const scope = effectScope()
    scope.run(() => usePhotoThumbs(() => ['a'], blobOf))
    expect(reads.map((r) => r.id)).toEqual(['a'])
    scope.stop()
    reads[0].answer()
    await settle()
    expect(made).toEqual([])
  })

  it('makes one URL per photo when a photo is added while another is being read, and lets every one go', async () => {
    const { reads, blobOf } = slowStore()
    const ids = ref(['a'])
    const scope = effectScope()
    const thumbs = scope.run(() => usePhotoThumbs(() => [...ids.value], blobOf))!
    ids.value = ['a', 'b']
    await nextTick()
    // both runs read 'a'
    for (const r of reads.filter((x) => x.id === 'a')) r.answer()
    await settle()
    for (const r of reads.filter((x) => x.id === 'b')) r.answer()
    await settle()
    expect(Object.keys(thumbs.value).sort()).toEqual(['a', 'b'])
    expect(made).toHaveLength(2)
    scope.stop()
    expect(revoked.sort()).toEqual([...made].sort())
  })
})
