// Home-visit records (入户调查) kept on the phone: made and saved with no network, with their photos, and
// sent when the signal returns. Each record carries its own client key, so the server records a visit
// once however often it is sent; a record that arrives after the case moved on is flagged on the record
// for the worker to resolve, never applied over what happened meanwhile. Photos share the drafts'
// `files` store; the triggers are the outbox's (`startOutboxTriggers`).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { db, oncePerPerson, plain } from '@/modules/db'
import { DomainError, NetworkError } from '@/modules/graphql'
import { newKey } from '@/features/cases/types'
import { startOutboxTriggers } from '@/features/cases/outbox'
import type { InvestigationRequest, VisitError, VisitPhoto, VisitRecord } from './visitTypes'

/** What sending needs from the server; the app's implementation is in `visitTransport.ts`. */
export interface VisitTransport {
  /** Whose token the requests carry now (`staff:<username>`), or null when no worker is signed in. */
  signedInAs(): string | null
  upload(caseId: string, photo: VisitPhoto, blob: Blob): Promise<{ id: string }>
  investigate(caseId: string, input: InvestigationRequest, clientKey: string): Promise<{ status: string }>
}

/** Turns a record into the request, at send time (labels in the person's language). */
export type InputBuilder = (record: VisitRecord) => InvestigationRequest

const KEEP_SENT_MS = 30 * 24 * 3600 * 1000

function isTransient(e: unknown): boolean {
  return e instanceof NetworkError || (e instanceof DomainError && (e.typename === 'AuthError' || e.typename === 'RateLimitedError'))
}

function asError(e: unknown): VisitError {
  if (e instanceof DomainError) return { code: e.code, message: e.message, field: e.field }
  return { code: 'unexpected', message: e instanceof Error ? e.message : String(e), field: null }
}

export function emptyVisit(owner: string, caseId: string, now = new Date()): VisitRecord {
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
  return {
    key: newKey(),
    owner,
    caseId,
    caseNumber: '',
    applicantName: '',
    itemName: '',
    investigators: ['', ''],
    visitedAt: local,
    place: '',
    location: null,
    living: '',
    income: '',
    assets: '',
    notes: '',
    conclusion: '',
    photos: [],
    state: 'draft',
    error: null,
    attempts: 0,
    createdAt: now.getTime(),
    updatedAt: now.getTime(),
    queuedAt: null,
    sentAt: null,
    resultStatus: null,
  }
}

export const useVisitStore = defineStore('visits', () => {
  const records = ref<Record<string, VisitRecord>>({})
  const owner = ref<string | null>(null)
  let transport: VisitTransport | null = null
  let build: InputBuilder | null = null
  let running: Promise<void> | null = null
  let runAgain = false

  const mine = computed(() =>
    Object.values(records.value)
      .filter((r) => r.owner === owner.value)
      .sort((a, b) => b.updatedAt - a.updatedAt),
  )
  const waiting = computed(() => mine.value.filter((r) => r.state === 'queued' || r.state === 'sending'))

  function configure(t: VisitTransport, builder: InputBuilder): void {
    transport = t
    build = builder
  }

  async function save(record: VisitRecord): Promise<void> {
    record.updatedAt = Date.now()
    await (await db()).put('visits', plain(record))
  }

  /** Reads this account's records from the phone, once per worker (the list and then a record's page both
   * ask); one caught mid-send by a closed app is queued again. */
  const load = oncePerPerson(read)

  async function read(who: string | null): Promise<void> {
    owner.value = who
    const database = await db()
    const all: Record<string, VisitRecord> = {}
    for (const r of await database.getAll('visits')) {
      if (r.state === 'sent' && Date.now() - (r.sentAt ?? 0) > KEEP_SENT_MS) {
        await database.delete('visits', r.key)
        continue
      }
      if (r.state === 'sending') {
        r.state = 'queued'
        await database.put('visits', r)
      }
      all[r.key] = r
    }
    if (owner.value !== who) return // another worker signed in meanwhile: their read wins
    records.value = all
  }

  /** The record not yet sent for a case, if this phone has one. */
  function openFor(caseId: string): VisitRecord | undefined {
    return mine.value.find((r) => r.caseId === caseId && r.state !== 'sent')
  }

  /** Starts a record (saved at once). */
  async function start(record: VisitRecord): Promise<VisitRecord> {
    records.value[record.key] = record
    await save(records.value[record.key])
    return records.value[record.key]
  }

  async function update(key: string): Promise<void> {
    const r = records.value[key]
    if (r) await save(r)
  }

  /** Keeps a photo on the phone (bytes first, so the record never points at a missing file). */
  async function addPhoto(key: string, blob: Blob, name: string): Promise<VisitPhoto> {
    const r = records.value[key]
    if (!r) throw new Error(`no visit record ${key}`)
    const photo: VisitPhoto = { localId: newKey(), name, type: blob.type, size: blob.size, materialId: null }
    await (await db()).put('files', { localId: photo.localId, blob })
    r.photos.push(photo)
    // the reactive entry, found by its id: a photo added meanwhile may now be the last one
    const listed = r.photos.find((p) => p.localId === photo.localId) ?? photo
    await save(r)
    return listed
  }

  async function removePhoto(key: string, localId: string): Promise<void> {
    const r = records.value[key]
    if (r) {
      r.photos = r.photos.filter((p) => p.localId !== localId)
      await save(r)
    }
    await (await db()).delete('files', localId)
  }

  async function photoBlob(localId: string): Promise<Blob | undefined> {
    return (await (await db()).get('files', localId))?.blob
  }

  /** Marks a record ready to send (待上传) and tries at once. */
  async function queue(key: string): Promise<void> {
    const r = records.value[key]
    if (!r || r.state === 'sent' || r.state === 'sending') return
    r.state = 'queued'
    r.error = null
    r.queuedAt = Date.now()
    await save(r)
    void flush()
  }

  /** Sends every queued record of this account, one at a time; concurrent calls share one run. */
  function flush(): Promise<void> {
    if (running) {
      runAgain = true
      return running
    }
    running = (async () => {
      do {
        runAgain = false
        if (!transport || !build || !owner.value) return
        for (const r of mine.value.filter((x) => x.state === 'queued')) {
          // taken back to edit (继续修改) or thrown away while an earlier record was being sent
          if (records.value[r.key]?.state !== 'queued') continue
          if (!(await send(r.key, transport, build))) return // no network: the rest wait
        }
      } while (runAgain)
    })().finally(() => {
      running = null
    })
    return running
  }

  /** Sends one record; returns false when the network failed (the record stays 待上传). */
  async function send(key: string, t: VisitTransport, builder: InputBuilder): Promise<boolean> {
    const r = records.value[key]
    // a request carries the token of whoever is signed in when it leaves: checked before each one, as
    // another worker may sign in on this phone (the record then waits for its owner)
    const asOwner = () => {
      if (t.signedInAs() !== r.owner) throw new NetworkError('signed_out')
    }
    if (t.signedInAs() !== r.owner) return false
    r.state = 'sending'
    r.error = null
    await save(r)
    try {
      for (const photo of r.photos) {
        if (photo.materialId) continue
        const blob = await photoBlob(photo.localId)
        if (!blob) throw new DomainError('ValidationError', 'file_lost', photo.name, 'materialIds')
        asOwner()
        photo.materialId = (await t.upload(r.caseId, photo, blob)).id
        await save(r)
      }
      asOwner()
      const result = await t.investigate(r.caseId, builder(r), r.key)
      r.state = 'sent'
      r.sentAt = Date.now()
      r.resultStatus = result.status
      await save(r)
      const database = await db()
      for (const p of r.photos) await database.delete('files', p.localId)
      return true
    } catch (e) {
      r.attempts += 1
      if (isTransient(e)) {
        r.state = 'queued'
        await save(r)
        return false
      }
      // the case moved on, or the server refused the record: kept and flagged, never dropped
      r.state = e instanceof DomainError && e.code === 'case_moved_on' ? 'conflict' : 'failed'
      r.error = asError(e)
      await save(r)
      return true
    }
  }

  /** Puts a flagged record back to be edited (nothing was recorded on the server). */
  async function reopen(key: string): Promise<void> {
    const r = records.value[key]
    if (!r || (r.state !== 'failed' && r.state !== 'conflict')) return
    r.state = 'draft'
    await save(r)
  }

  /** Throws a record away with its photos (the worker decided it is not needed). */
  async function discard(key: string): Promise<void> {
    const r = records.value[key]
    if (!r || r.state === 'sending') return
    const database = await db()
    for (const p of r.photos) await database.delete('files', p.localId)
    delete records.value[key]
    await database.delete('visits', key)
  }

  return { records, mine, waiting, owner, configure, load, openFor, start, update, addPhoto, removePhoto, photoBlob, queue, flush, reopen, discard }
})

let stopTriggers: (() => void) | null = null

/** Sends waiting records on start, on reconnect, on return to the tab and every 30 s (once per app). */
export function startVisitTriggers(flush: () => void): void {
  if (stopTriggers) {
    flush()
    return
  }
  stopTriggers = startOutboxTriggers(flush)
}
