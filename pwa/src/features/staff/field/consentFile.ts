// The proxy applicant's consent in the draft: one file (the signature or a photo of the signed paper),
// replaced when signed or photographed again. One replacement at a time: a second one (a double tap on
// the pad's confirm, or a photo taken while the signature is being kept) waits for the first and then
// replaces it, instead of both finding no consent yet and the draft keeping two.
import type { DraftFile } from '@/features/cases/types'

interface ConsentStore {
  addFile(key: string, kind: string, blob: Blob, name: string): Promise<DraftFile>
  removeFile(key: string, localId: string): Promise<void>
}

export function useConsentFile(kind: string, key: () => string, kept: () => DraftFile[], store: ConsentStore, upload: (localId: string) => void) {
  let last: Promise<unknown> = Promise.resolve()

  function inTurn(work: () => Promise<void>): Promise<void> {
    const run = last.then(work)
    last = run.catch(() => undefined)
    return run
  }

  async function removeAll(): Promise<void> {
    for (const f of kept()) await store.removeFile(key(), f.localId)
  }

  /** Keeps this consent in place of any kept before, and starts uploading it. */
  function keep(blob: Blob, name: string): Promise<void> {
    return inTurn(async () => {
      await removeAll()
      const stored = await store.addFile(key(), kind, blob, name)
      upload(stored.localId)
    })
  }

  function remove(): Promise<void> {
    return inTurn(removeAll)
  }

  return { keep, remove }
}
