// Drafts: every answer of the application wizard is written to IndexedDB as it is typed, photos
// included, so closing the app, a reload or a flat battery loses nothing.
import { defineStore } from 'pinia'
import { ref, watch, type WatchStopHandle } from 'vue'
import { db, oncePerPerson, plain } from '@/modules/db'
import { emptyProfile, newKey, type Draft, type DraftFile, type MemberDraft, type ProfileDraft } from './types'

export interface DraftSeed {
  profile?: ProfileDraft
  /** the seed profile is what the server already has */
  profileSaved?: boolean
  members?: MemberDraft[]
  /** a proxy draft (帮办代办): uploads go to this applicant */
  proxyApplicantId?: string
}

function fresh(itemCode: string, owner: string, seed: DraftSeed): Draft {
  const now = Date.now()
  return {
    itemCode,
    owner,
    submissionKey: newKey(),
    step: 'identity',
    profile: seed.profile ? { ...seed.profile } : emptyProfile(),
    profileDirty: !seed.profileSaved,
    members: seed.members ? seed.members.map((m) => ({ ...m })) : [],
    membersDirty: false,
    form: {},
    files: [],
    consent: false,
    createdAt: now,
    updatedAt: now,
    ...(seed.proxyApplicantId ? { proxyApplicantId: seed.proxyApplicantId } : {}),
  }
}

export const useDraftStore = defineStore('drafts', () => {
  /** The current person's drafts, by item code. */
  const drafts = ref<Record<string, Draft>>({})
  const owner = ref<string | null>(null)
  const watchers = new Map<string, WatchStopHandle>()
  const writing = new Map<string, Promise<void>>()
  const writeAgain = new Set<string>()

  /** Writes a draft now; writes for one draft never overlap and the last state always lands. */
  function persist(itemCode: string): Promise<void> {
    const inFlight = writing.get(itemCode)
    if (inFlight) {
      writeAgain.add(itemCode)
      return inFlight
    }
    const run = (async () => {
      do {
        writeAgain.delete(itemCode)
        const draft = drafts.value[itemCode]
        if (draft) await (await db()).put('drafts', { ...plain(draft), updatedAt: Date.now() })
      } while (writeAgain.has(itemCode))
    })().finally(() => writing.delete(itemCode))
    writing.set(itemCode, run)
    return run
  }

  /** Resolves when every write started so far has landed. */
  async function flushWrites(): Promise<void> {
    while (writing.size) await Promise.all([...writing.values()])
  }

  function track(itemCode: string): void {
    watchers.get(itemCode)?.()
    watchers.set(
      itemCode,
      watch(
        () => drafts.value[itemCode],
        (draft) => {
          if (!draft) return
          // the first change after the draft was opened is the first answer: time to apply starts here
          if (draft.firstAnsweredAt === undefined) draft.firstAnsweredAt = Date.now()
          void persist(itemCode)
        },
        { deep: true, flush: 'sync' },
      ),
    )
  }

  function untrack(itemCode: string): void {
    watchers.get(itemCode)?.()
    watchers.delete(itemCode)
  }

  /** Reads the person's drafts from the phone, once per person (a page holding a draft keeps saving its
   * answers; a page asking while the read is under way waits for it rather than opening a fresh draft over a
   * stored one). */
  const load = oncePerPerson(read)

  async function read(who: string): Promise<void> {
    for (const code of Object.keys(drafts.value)) untrack(code)
    owner.value = who
    const all = await (await db()).getAll('drafts')
    if (owner.value !== who) return // someone else's drafts were asked for meanwhile: theirs win
    const mine: Record<string, Draft> = {}
    for (const d of all) if (d.owner === who) mine[d.itemCode] = d
    drafts.value = mine
    for (const code of Object.keys(mine)) track(code)
  }

  /** Returns the draft for an item, starting one (saved at once) when there is none. */
  async function open(itemCode: string, seed: DraftSeed = {}): Promise<Draft> {
    if (!owner.value) throw new Error('no owner: load() first')
    if (!drafts.value[itemCode]) {
      drafts.value[itemCode] = fresh(itemCode, owner.value, seed)
      track(itemCode)
      await persist(itemCode)
    }
    return drafts.value[itemCode]
  }

  /** Puts a draft back (a failed submission the person will correct). */
  async function restore(draft: Draft): Promise<Draft> {
    drafts.value[draft.itemCode] = plain(draft)
    track(draft.itemCode)
    await persist(draft.itemCode)
    return drafts.value[draft.itemCode]
  }

  /** Stores a chosen photo or PDF on the phone and lists it in the draft. */
  async function addFile(itemCode: string, kind: string, blob: Blob, name: string): Promise<DraftFile> {
    const draft = drafts.value[itemCode]
    if (!draft) throw new Error(`no draft for ${itemCode}`)
    const file: DraftFile = {
      localId: newKey(),
      kind,
      name,
      type: blob.type,
      size: blob.size,
      state: 'local',
      progress: 0,
      materialId: null,
      error: null,
    }
    // the bytes land before the draft mentions them, so a draft never points at a missing file
    await (await db()).put('files', { localId: file.localId, blob })
    draft.files.push(file)
    // the reactive entry, found by its id: another file added meanwhile may now be the last one
    const listed = draft.files.find((f) => f.localId === file.localId) ?? file
    await persist(itemCode)
    return listed
  }

  async function removeFile(itemCode: string, localId: string): Promise<void> {
    const draft = drafts.value[itemCode]
    if (draft) {
      draft.files = draft.files.filter((f) => f.localId !== localId)
      await persist(itemCode)
    }
    await (await db()).delete('files', localId)
  }

  async function fileBlob(localId: string): Promise<Blob | undefined> {
    return (await (await db()).get('files', localId))?.blob
  }

  /** Removes a draft from the drafts (when it is handed to the outbox); its files stay. */
  async function take(itemCode: string): Promise<Draft | undefined> {
    const draft = drafts.value[itemCode]
    if (!draft) return undefined
    await flushWrites()
    untrack(itemCode)
    const copy = plain(draft)
    delete drafts.value[itemCode]
    await (await db()).delete('drafts', itemCode)
    return copy
  }

  /** Throws a draft away, with its files. */
  async function discard(itemCode: string): Promise<void> {
    const draft = await take(itemCode)
    if (!draft) return
    const database = await db()
    for (const f of draft.files) await database.delete('files', f.localId)
  }

  return { drafts, owner, load, open, restore, addFile, removeFile, fileBlob, take, discard, persist, flushWrites }
})
