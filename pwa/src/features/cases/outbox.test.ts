import { beforeEach, describe, expect, it } from 'vitest'
import { DomainError, NetworkError } from '@/modules/graphql'
import { db } from '@/modules/db'
import { useDraftStore } from './drafts'
import { useOutboxStore, type OutboxTransport, type SubmitRequest } from './outbox'
import { freshApp, reloadApp } from './testing'
import type { DraftFile } from './types'

const ME = '13800000001'
const OTHER = '13900000002'

/** A stand-in for the API: one case per submission key, like the real server. */
class FakeServer implements OutboxTransport {
  online = true
  /** drop the answer to the next submit after the server has acted on it (a lost response) */
  loseNextSubmitAnswer = false
  failSubmitWith: DomainError | null = null
  /** whose token the phone holds now, and whose token each request went out with */
  signedIn: string | null = ME
  sentAs: (string | null)[] = []
  uploads: string[] = []
  submits: SubmitRequest[] = []
  profiles = 0
  households: number[] = []
  cases = new Map<string, { caseId: string; number: string }>()

  private check(): void {
    if (!this.online) throw new NetworkError()
    this.sentAs.push(this.signedIn)
  }

  signedInAs() {
    return this.signedIn
  }

  async saveProfile() {
    this.check()
    this.profiles += 1
    return { applicantId: '7' }
  }

  async currentApplicantId() {
    this.check()
    return '7'
  }

  async setHousehold(_id: string, members: unknown[]) {
    this.check()
    this.households.push(members.length)
  }

  async upload(file: DraftFile, _blob: Blob, onProgress: (p: number) => void) {
    this.check()
    onProgress(50)
    this.uploads.push(file.name)
    return { id: `m-${this.uploads.length}` }
  }

  async submit(request: SubmitRequest) {
    this.check()
    if (this.failSubmitWith) throw this.failSubmitWith
    this.submits.push(request)
    let found = this.cases.get(request.submissionKey)
    if (!found) {
      found = { caseId: String(this.cases.size + 1), number: `DC2026-00000${this.cases.size + 1}` }
      this.cases.set(request.submissionKey, found)
    }
    if (this.loseNextSubmitAnswer) {
      this.loseNextSubmitAnswer = false
      throw new NetworkError()
    }
    return found
  }
}

async function draftWithPhoto(itemCode = 'gaoling') {
  const drafts = useDraftStore()
  await drafts.load(ME)
  const draft = await drafts.open(itemCode)
  draft.profile.name = '张桂兰'
  draft.form = { livingArrangement: 'alone' }
  await drafts.addFile(itemCode, 'id_card', new Blob(['photo'], { type: 'image/jpeg' }), 'id.jpg')
  await drafts.flushWrites()
  return draft
}

async function outboxWith(server: FakeServer) {
  const outbox = useOutboxStore()
  outbox.setTransport(server)
  await outbox.load(ME)
  return outbox
}

beforeEach(freshApp)

describe('offline outbox', () => {
  it('keeps an application made offline as 待上传 with its photo, and sends it when the network returns', async () => {
    const server = new FakeServer()
    server.online = false
    const draft = await draftWithPhoto()
    const outbox = await outboxWith(server)

    const entry = await outbox.enqueue('gaoling')
    await outbox.flush()
    expect(outbox.byKey(entry.key)?.state).toBe('queued')
    expect(useDraftStore().drafts.gaoling).toBeUndefined()

    server.online = true
    await outbox.flush()
    const sent = outbox.byKey(entry.key)
    expect(sent?.state).toBe('submitted')
    expect(sent?.caseNumber).toBe('DC2026-000001')
    expect(draft.firstAnsweredAt).toBeGreaterThanOrEqual(draft.createdAt)
    expect(server.submits).toEqual([
      {
        itemCode: 'gaoling',
        submissionKey: draft.submissionKey,
        form: { livingArrangement: 'alone' },
        materialIds: ['m-1'],
        draftStartedAt: new Date(draft.firstAnsweredAt as number).toISOString(),
      },
    ])
  })

  it('survives a reload while queued and sends it on the next start', async () => {
    const server = new FakeServer()
    server.online = false
    await draftWithPhoto()
    const key = (await (await outboxWith(server)).enqueue('gaoling')).key
    await useOutboxStore().flush()

    await reloadApp()
    server.online = true
    const outbox = await outboxWith(server)
    expect(outbox.byKey(key)?.state).toBe('queued')
    await outbox.flush()
    expect(outbox.byKey(key)?.state).toBe('submitted')
    expect(server.cases.size).toBe(1)
  })

  it('makes exactly one case when the answer to a submit is lost and it is sent again', async () => {
    const server = new FakeServer()
    await draftWithPhoto()
    server.loseNextSubmitAnswer = true
    const outbox = await outboxWith(server)
    const entry = await outbox.enqueue('gaoling')
    await outbox.flush()
    for (let i = 0; i < 3 && outbox.byKey(entry.key)?.state !== 'submitted'; i++) await outbox.flush()
    expect(outbox.byKey(entry.key)?.state).toBe('submitted')
    expect(server.submits.map((s) => s.submissionKey)).toEqual([entry.key, entry.key])
    expect(server.cases.size).toBe(1)
    expect(server.uploads).toEqual(['id.jpg']) // the photo already uploaded is not sent twice
  })

  it('sends once when reconnect, app start and tab return all trigger at the same time', async () => {
    const server = new FakeServer()
    server.online = false
    await draftWithPhoto()
    const outbox = await outboxWith(server)
    await outbox.enqueue('gaoling')
    await outbox.flush()
    server.online = true

    await Promise.all([outbox.flush(), outbox.flush(), outbox.flush()])
    expect(server.submits).toHaveLength(1)
    expect(server.uploads).toHaveLength(1)
  })

  it('saves an edited profile and household before uploading and submitting', async () => {
    const server = new FakeServer()
    const drafts = useDraftStore()
    await drafts.load(ME)
    const draft = await drafts.open('dibao')
    draft.members.push({ localId: 'a', name: '王强', relation: '配偶', idNumber: 'x', monthlyIncome: '0', health: '', disability: '' })
    draft.membersDirty = true
    const outbox = await outboxWith(server)
    await outbox.enqueue('dibao')
    await outbox.flush()
    expect(server.profiles).toBe(1)
    expect(server.households).toEqual([1])
    expect(server.submits).toHaveLength(1)
  })

  it('marks a refused submission 失败 with the reason, and reopens it as a draft with the same key', async () => {
    const server = new FakeServer()
    server.failSubmitWith = new DomainError('ValidationError', 'materials_missing', '请上传：银行卡或存折', 'materialIds')
    await draftWithPhoto()
    const outbox = await outboxWith(server)
    const entry = await outbox.enqueue('gaoling')
    await outbox.flush()
    expect(outbox.byKey(entry.key)).toMatchObject({
      state: 'failed',
      error: { code: 'materials_missing', message: '请上传：银行卡或存折', field: 'materialIds' },
    })

    const draft = await outbox.reopen(entry.key)
    expect(draft?.submissionKey).toBe(entry.key)
    expect(useDraftStore().drafts.gaoling.files[0].materialId).toBe('m-1')
    expect(outbox.byKey(entry.key)).toBeUndefined()
  })

  it('queues an entry again when the app was closed while it was being sent', async () => {
    const server = new FakeServer()
    await draftWithPhoto()
    const outbox = await outboxWith(server)
    server.online = false
    const entry = await outbox.enqueue('gaoling')
    await outbox.flush()
    const database = await db()
    await database.put('outbox', { ...(await database.get('outbox', entry.key))!, state: 'sending' })

    await reloadApp()
    const again = await outboxWith(server)
    expect(again.byKey(entry.key)?.state).toBe('queued')
  })

  it('never sends an application with the token of someone who signed in while it was going out', async () => {
    const server = new FakeServer()
    server.online = false
    await draftWithPhoto()
    await useDraftStore().addFile('gaoling', 'hukou', new Blob(['page'], { type: 'image/jpeg' }), 'hukou.jpg')
    const outbox = await outboxWith(server)
    const entry = await outbox.enqueue('gaoling')
    await outbox.flush()
    server.online = true

    // the first photo is slow to go up; meanwhile its owner signs out and someone else signs in here
    let release = () => {}
    const upload = server.upload.bind(server)
    server.upload = (file, blob, onProgress) => {
      server.upload = upload
      const answer = upload(file, blob, onProgress)
      return new Promise((resolve) => (release = () => resolve(answer)))
    }
    const run = outbox.flush()
    await new Promise((resolve) => setTimeout(resolve, 20))
    server.signedIn = OTHER
    await outbox.load(OTHER)
    release()
    await run
    expect(server.sentAs.filter((who) => who !== ME)).toEqual([])
    expect(server.submits).toEqual([])

    // back with its owner, it goes out in full, the photo already sent not again
    server.signedIn = ME
    await outbox.load(ME)
    expect(outbox.byKey(entry.key)?.state).toBe('queued')
    await outbox.flush()
    expect(outbox.byKey(entry.key)?.state).toBe('submitted')
    expect(server.uploads).toEqual(['id.jpg', 'hukou.jpg'])
    expect(server.sentAs.filter((who) => who !== ME)).toEqual([])
  })

  it('does not send when no one is signed in', async () => {
    const server = new FakeServer()
    await draftWithPhoto()
    const outbox = await outboxWith(server)
    await outbox.enqueue('gaoling')
    await outbox.flush()
    server.submits = []
    await outbox.load(null)
    await outbox.flush()
    expect(server.submits).toEqual([])
  })
})
