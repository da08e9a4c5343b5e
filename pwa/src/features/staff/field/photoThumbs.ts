// Thumbnails of a home-visit record's photos, as object URLs read from the phone: one per photo, all let go
// when the page closes. A photo read after the page closed, or read twice because another photo was
// added meanwhile, gets no URL of its own that nobody would let go (its bytes would stay in memory).
import { onScopeDispose, ref, watch } from 'vue'

export function usePhotoThumbs(ids: () => string[], blobOf: (localId: string) => Promise<Blob | undefined>) {
  const thumbs = ref<Record<string, string>>({})
  let closed = false

  watch(
    ids,
    async (now) => {
      for (const id of now) {
        if (thumbs.value[id]) continue
        const blob = await blobOf(id)
        if (blob && !closed && !thumbs.value[id]) thumbs.value[id] = URL.createObjectURL(blob)
      }
    },
    { immediate: true },
  )

  onScopeDispose(() => {
    closed = true
    Object.values(thumbs.value).forEach((u) => URL.revokeObjectURL(u))
  })

  return thumbs
}
