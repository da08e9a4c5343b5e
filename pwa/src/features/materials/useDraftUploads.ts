// Uploads a draft's photos while the person is still filling in the wizard, when there is a network
// and a saved profile; otherwise they wait on the phone and the outbox sends them with the application.
import { DomainError, NetworkError } from '@/modules/graphql'
import { useSessionStore } from '@/features/accounts/session'
import { useDraftStore } from '@/features/cases/drafts'
import { uploadMaterial } from './upload'

/** the uploads on their way, by the file's local id */
const inFlight = new Map<string, Promise<void>>()

/** `itemCode` is the draft's key; `caseId` attaches the uploads to an existing case (补正). */
export function useDraftUploads(itemCode: string, caseId?: string) {
  const drafts = useDraftStore()
  const session = useSessionStore()
  /** whose drafts the token on the phone may send: an applicant's phone, or a worker's `staff:` name */
  const signedInAs = () => (session.isStaff ? `staff:${session.username ?? ''}` : session.phone)

  /** Uploads one file; a file already on its way is not sent again, and the call waits for it. */
  function uploadOne(localId: string): Promise<void> {
    const running = inFlight.get(localId)
    if (running) return running
    const run = send(localId).finally(() => inFlight.delete(localId))
    inFlight.set(localId, run)
    return run
  }

  async function send(localId: string): Promise<void> {
    const draft = drafts.drafts[itemCode]
    const file = draft?.files.find((f) => f.localId === localId)
    if (!draft || !file || file.materialId) return
    if (draft.profileDirty || !navigator.onLine) return
    const blob = await drafts.fileBlob(localId)
    // someone else may have signed in on this phone since: the draft's photos wait for its owner
    if (!blob || draft.owner !== signedInAs()) return
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
