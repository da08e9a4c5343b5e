// Uploads a draft's photos while the person is still filling in the wizard, when there is a network
// and a saved profile; otherwise they wait on the phone and the outbox sends them with the application.
import { DomainError, NetworkError } from '@/modules/graphql'
import { useDraftStore } from '@/features/cases/drafts'
import { uploadMaterial } from './upload'

const inFlight = new Set<string>()

/** `itemCode` is the draft's key; `caseId` attaches the uploads to an existing case (补正). */
export function useDraftUploads(itemCode: string, caseId?: string) {
  const drafts = useDraftStore()

  async function uploadOne(localId: string): Promise<void> {
    const draft = drafts.drafts[itemCode]
    const file = draft?.files.find((f) => f.localId === localId)
    if (!draft || !file || file.materialId || inFlight.has(localId)) return
    if (draft.profileDirty || !navigator.onLine) return
    const blob = await drafts.fileBlob(localId)
    if (!blob) return
    inFlight.add(localId)
    file.state = 'uploading'
    file.progress = 0
    file.error = null
    try {
      const uploaded = await uploadMaterial(blob, {
        name: file.name,
        kind: file.kind,
        caseId,
        applicantId: draft.proxyApplicantId,
        onProgress: (p) => (file.progress = p),
      })
      file.materialId = uploaded.id
      file.state = 'uploaded'
      file.progress = 100
    } catch (e) {
      if (e instanceof DomainError && e.typename !== 'AuthError') {
        file.state = 'failed'
        file.error = e.message
      } else {
        file.state = e instanceof NetworkError ? 'failed' : 'local'
        file.error = null
      }
    } finally {
      inFlight.delete(localId)
    }
  }

  async function uploadPending(): Promise<void> {
    const draft = drafts.drafts[itemCode]
    if (!draft) return
    for (const f of draft.files) if (!f.materialId && f.state !== 'failed') await uploadOne(f.localId)
  }

  function busy(): boolean {
    return (drafts.drafts[itemCode]?.files ?? []).some((f) => inFlight.has(f.localId))
  }

  return { uploadOne, uploadPending, busy }
}
