// The offline outbox: a submitted application waits here, with its client key and photos, until it
// reaches the server. It is sent on reconnect, on app start and on return to the tab; the server's
// idempotency (one case per submission key) makes retries safe.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { db, oncePerPerson, plain } from '@/modules/db'
import { DomainError, NetworkError } from '@/modules/graphql'
import { useDraftStore } from './drafts'
import type { Draft, DraftFile, MemberDraft, OutboxEntry, OutboxError, ProfileDraft } from './types'

export interface SubmitRequest {
  itemCode: string
  submissionKey: string
  form: Record<string, unknown>
  materialIds: string[]
  /** when the first answer of the draft was saved (ISO), for the time-to-apply figure */
  draftStartedAt?: string | null
}

/** What the outbox needs from the server; the app's implementation is `transport.ts`. */
export interface OutboxTransport {
  /** Whose token the requests carry now (the signed-in phone), or null when no one is signed in. */
  signedInAs(): string | null
  saveProfile(profile: ProfileDraft): Promise<{ applicantId: string }>
  currentApplicantId(): Promise<string | null>
  setHousehold(applicantId: string, members: MemberDraft[]): Promise<void>
  upload(file: DraftFile, blob: Blob, onProgress: (percent: number) => void): Promise<{ id: string }>
  submit(request: SubmitRequest): Promise<{ caseId: string; number: string }>
}

const KEEP_SUBMITTED_MS = 7 * 24 * 3600 * 1000

/** Network trouble, or a session that must be renewed: try again later rather than fail. */
function isTransient(e: unknown): boolean {
  return e instanceof NetworkError || (e instanceof DomainError && (e.typename === 'AuthError' || e.typename === 'RateLimitedError'))
}

function asError(e: unknown): OutboxError {
  if (e instanceof DomainError) return { code: e.code, message: e.message, field: e.field }
  return { code: 'unexpected', message: e instanceof Error ? e.message : String(e), field: null }
}

export const useOutboxStore = defineStore('outbox', () => {
  const entries = ref<Record<string, OutboxEntry>>({})
  const owner = ref<string | null>(null)
  let transport: OutboxTransport | null = null
  let running: Promise<void> | null = null
  let runAgain = false

  const mine = computed(() =>
    Object.values(entries.value)
      .filter((e) => e.owner === owner.value)
      .sort((a, b) => b.queuedAt - a.queuedAt),
  )
  const pending = computed(() => mine.value.filter((e) => e.state !== 'submitted'))

  function setTransport(t: OutboxTransport): void {
    transport = t
  }

  async function save(entry: OutboxEntry): Promise<void> {
    await (await db()).put('outbox', plain(entry))
  }

  /** Reads the queue from the phone, once per person (a second read would put new objects in place of
   * entries being sent); an entry caught mid-send by a closed app is queued again. */
  const load = oncePerPerson(read)

  async function read(who: string | null): Promise<void> {
    owner.value = who
    const database = await db()
    const all: Record<string, OutboxEntry> = {}
    for (const entry of await database.getAll('outbox')) {
      if (entry.state === 'submitted' && Date.now() - (entry.sentAt ?? 0) > KEEP_SUBMITTED_MS) {
        await database.delete('outbox', entry.key)
        continue
      }
      if (entry.state === 'sending') {
        entry.state = 'queued'
        for (const f of entry.draft.files) if (f.state === 'uploading') f.state = 'local'
        await database.put('outbox', entry)
      }
      all[entry.key] = entry
    }
    if (owner.value !== who) return // someone else signed in meanwhile: their read wins
    entries.value = all
  }

  /** Hands a draft to the outbox (待上传) and tries to send it at once. */
  async function enqueue(itemCode: string, cleanedForm?: Record<string, unknown>): Promise<OutboxEntry> {
    const drafts = useDraftStore()
    const draft = await drafts.take(itemCode)
    if (!draft) throw new Error(`no draft for ${itemCode}`)
    if (cleanedForm) draft.form = cleanedForm
    const entry: OutboxEntry = {
      key: draft.submissionKey,
      owner: draft.owner,
      itemCode,
      draft,
      state: 'queued',
      attempts: 0,
      error: null,
      caseId: null,
      caseNumber: null,
      queuedAt: Date.now(),
      sentAt: null,
    }
    entries.value[entry.key] = entry
    await save(entry)
    void flush()
    return entries.value[entry.key]
  }

  /** Sends every queued entry of the signed-in person, one at a time; concurrent calls share one run. */
  function flush(): Promise<void> {
    if (running) {
      runAgain = true
      return running
    }
    running = (async () => {
      do {
        runAgain = false
        await sendAll()
      } while (runAgain)
    })().finally(() => {
      running = null
    })
    return running
  }

  async function sendAll(): Promise<void> {
    if (!transport || !owner.value) return
    for (const entry of mine.value.filter((e) => e.state === 'queued')) {
      const reached = await send(entry.key, transport)
      if (!reached) return // no network: the rest wait for the next trigger
    }
  }

  /** Sends one entry; returns false when the network failed (the entry stays 待上传). */
  async function send(key: string, t: OutboxTransport): Promise<boolean> {
    const entry = entries.value[key]
    const draft: Draft = entry.draft
    // a request carries the token of whoever is signed in when it leaves: checked before each one, as
    // someone else may sign in on this phone meanwhile (the entry then waits for its owner)
    const asOwner = () => {
      if (t.signedInAs() !== entry.owner) throw new NetworkError('signed_out')
    }
    if (t.signedInAs() !== entry.owner) return false
    entry.state = 'sending'
    entry.error = null
    await save(entry)
    try {
      let applicantId: string | null = null
      if (draft.profileDirty) {
        asOwner()
        applicantId = (await t.saveProfile(draft.profile)).applicantId
        draft.profileDirty = false
        await save(entry)
      }
      if (draft.membersDirty) {
        asOwner()
        applicantId ??= await t.currentApplicantId()
        if (!applicantId) throw new DomainError('ValidationError', 'profile_required', '', 'idNumber')
        asOwner()
        await t.setHousehold(applicantId, draft.members)
        draft.membersDirty = false
        await save(entry)
      }
      const drafts = useDraftStore()
      for (const file of draft.files) {
        if (file.materialId) continue
        const blob = await drafts.fileBlob(file.localId)
        if (!blob) throw new DomainError('ValidationError', 'file_lost', file.name, 'materialIds')
        file.state = 'uploading'
        file.progress = 0
        try {
          asOwner()
          const { id } = await t.upload(file, blob, (p) => (file.progress = p))
          file.materialId = id
          file.state = 'uploaded'
          file.progress = 100
          file.error = null
        } catch (e) {
          file.state = isTransient(e) ? 'local' : 'failed'
          if (!isTransient(e)) file.error = asError(e).message
          throw e
        }
        await save(entry)
      }
      asOwner()
      const result = await t.submit({
        itemCode: entry.itemCode,
        submissionKey: entry.key,
        form: draft.form,
        materialIds: draft.files.map((f) => f.materialId as string),
        draftStartedAt: new Date(draft.firstAnsweredAt ?? draft.createdAt).toISOString(),
      })
      entry.state = 'submitted'
      entry.caseId = result.caseId
      entry.caseNumber = result.number
      entry.sentAt = Date.now()
      await save(entry)
      const database = await db()
      for (const f of draft.files) await database.delete('files', f.localId)
      return true
    } catch (e) {
      entry.attempts += 1
      if (isTransient(e)) {
        entry.state = 'queued'
        await save(entry)
        return false
      }
      entry.state = 'failed'
      entry.error = asError(e)
      await save(entry)
      return true
    }
  }

  /** Queues a failed entry again as it is (for a failure the person thinks was temporary). */
  async function retry(key: string): Promise<void> {
    const entry = entries.value[key]
    if (!entry || entry.state !== 'failed') return
    entry.state = 'queued'
    entry.error = null
    for (const f of entry.draft.files) if (f.state === 'failed') f.state = 'local'
    await save(entry)
    void flush()
  }

  /** Turns a failed entry back into a draft to correct (same key: nothing was created). */
  async function reopen(key: string): Promise<Draft | undefined> {
    const entry = entries.value[key]
    if (!entry || entry.state === 'submitted' || entry.state === 'sending') return undefined
    const drafts = useDraftStore()
    const draft = await drafts.restore({ ...entry.draft, consent: false })
    delete entries.value[key]
    await (await db()).delete('outbox', key)
    return draft
  }

  function byKey(key: string): OutboxEntry | undefined {
    return entries.value[key]
  }

  return { entries, mine, pending, owner, setTransport, load, enqueue, flush, retry, reopen, byKey }
})

/** Sends the outbox whenever the network may be back: on reconnect, on return to the tab, and now. */
export function startOutboxTriggers(flush: () => void): () => void {
  const onOnline = () => flush()
  const onVisible = () => {
    if (document.visibilityState === 'visible') flush()
  }
  window.addEventListener('online', onOnline)
  document.addEventListener('visibilitychange', onVisible)
  const timer = setInterval(() => {
    if (navigator.onLine) flush()
  }, 30_000)
  flush()
  return () => {
    window.removeEventListener('online', onOnline)
    document.removeEventListener('visibilitychange', onVisible)
    clearInterval(timer)
  }
}
