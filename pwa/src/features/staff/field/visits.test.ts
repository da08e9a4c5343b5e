import { beforeEach, describe, expect, it } from 'vitest'
import { DomainError, NetworkError } from '@/modules/graphql'
import { db } from '@/modules/db'
import { freshApp, reloadApp } from '@/features/cases/testing'
import { emptyVisit, useVisitStore, type VisitTransport } from './visits'
import { checkVisit, investigationInput, type InvestigationRequest, type VisitPhoto, type VisitRecord } from './visitTypes'

const OWNER = 'staff:cun-xinqiao'
const LABELS = { living: 'L', income: 'I', incomeUnit: 'yuan', assets: 'A', notes: 'N', location: 'GPS' }

/** A stand-in for the API: one investigation per client key, like the real server. */
class FakeServer implements VisitTransport {
  online = true
  loseNextAnswer = false
  movedOn = false
  uploads: string[] = []
  calls: { caseId: string; key: string; input: InvestigationRequest }[] = []
  recorded = new Map<string, string>()
  /** whose token the phone holds now, and whose token each request went out with */
  signedIn: string | null = OWNER
  sentAs: (string | null)[] = []

  signedInAs() {
    return this.signedIn
  }

  async upload(_caseId: string, photo: VisitPhoto) {
    if (!this.online) throw new NetworkError()
    this.sentAs.push(this.signedIn)
    this.uploads.push(photo.name)
    return { id: `m-${this.uploads.length}` }
  }

  async investigate(caseId: string, input: InvestigationRequest, key: string) {
    if (!this.online) throw new NetworkError()
    this.sentAs.push(this.signedIn)
    this.calls.push({ caseId, key, input })
    if (!this.recorded.has(key)) {
      if (this.movedOn) throw new DomainError('ConflictError', 'case_moved_on', 'moved on')
      this.recorded.set(key, caseId)
    }
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false
      throw new NetworkError('answer lost')
    }
    return { status: 'VERIFYING' }
  }
}

function filled(caseId = '12'): VisitRecord {
  const r = emptyVisit(OWNER, caseId, new Date(Date.now() - 3600_000))
  r.investigators = ['Zhang', 'Li']
  r.conclusion = 'eligible'
  r.living = 'old house'
  r.income = '800'
  return r
}

async function storeWith(server: FakeServer) {
  const store = useVisitStore()
  store.configure(server, (r) => investigationInput(r, LABELS))
  await store.load(OWNER)
  return store
}

describe('home-visit records', () => {
  beforeEach(async () => {
    await freshApp()
  })

  it('keeps the record a page holds when the records are asked for again', async () => {
    const store = await storeWith(new FakeServer())
    const held = await store.start(filled()) // the record's page holds it
    await store.load(OWNER) // the list page, asked again for the same worker
    held.notes = '已入户'
    await store.update(held.key)
    expect(store.records[held.key]).toBe(held)

    await reloadApp()
    const again = await storeWith(new FakeServer())
    expect(again.records[held.key].notes).toBe('已入户')
  })

  it('gives each of two photos added at once its own entry', async () => {
    const store = await storeWith(new FakeServer())
    const r = await store.start(filled())
    const [one, two] = await Promise.all([
      store.addPhoto(r.key, new Blob(['a'], { type: 'image/jpeg' }), 'one.jpg'),
      store.addPhoto(r.key, new Blob(['b'], { type: 'image/jpeg' }), 'two.jpg'),
    ])
    expect([one.name, two.name]).toEqual(['one.jpg', 'two.jpg'])
    expect(store.records[r.key].photos.map((p) => p.name)).toEqual(['one.jpg', 'two.jpg'])
  })

  it('kept offline with photos across a reload, then sent exactly once when the network returns', async () => {
    const server = new FakeServer()
    server.online = false
    let store = await storeWith(server)
    const r = await store.start(filled())
    await store.addPhoto(r.key, new Blob(['a'], { type: 'image/jpeg' }), 'one.jpg')
    await store.addPhoto(r.key, new Blob(['b'], { type: 'image/jpeg' }), 'two.jpg')
    await store.queue(r.key)
    await store.flush()
    expect(store.records[r.key].state).toBe('queued')

    await reloadApp()
    store = await storeWith(server)
    expect(store.mine.map((x) => x.state)).toEqual(['queued'])
    expect(store.mine[0].photos).toHaveLength(2)

    server.online = true
    server.loseNextAnswer = true // recorded by the server, but the answer never came back
    await store.flush()
    expect(store.records[r.key].state).toBe('queued')
    await store.flush()
    await store.flush()
    expect(store.records[r.key].state).toBe('sent')
    expect(server.recorded.size).toBe(1)
    expect(new Set(server.calls.map((c) => c.key))).toEqual(new Set([r.key]))
    expect(server.uploads).toEqual(['one.jpg', 'two.jpg'])
    expect(server.calls[0].input.materialIds).toEqual(['m-1', 'm-2'])
    expect(server.calls[0].input.findings).toContain('I: 800 yuan')
    // the photos' bytes are gone from the phone once the server has them
    expect(await (await db()).count('files')).toBe(0)
  })

  it('flags a record that arrives after the case moved on, keeping it for the worker', async () => {
    const server = new FakeServer()
    server.movedOn = true
    const store = await storeWith(server)
    const r = await store.start(filled())
    await store.queue(r.key)
    await store.flush()
    expect(store.records[r.key].state).toBe('conflict')
    expect(store.records[r.key].error?.code).toBe('case_moved_on')
    await store.flush()
    expect(server.calls).toHaveLength(1) // a flagged record is not sent again by itself

    await reloadApp()
    const again = await storeWith(server)
    expect(again.mine[0].state).toBe('conflict')
    await again.reopen(r.key)
    expect(again.records[r.key].state).toBe('draft')
    await again.discard(r.key)
    expect(await (await db()).count('visits')).toBe(0)
  })

  it('another account on the phone does not see or send the records', async () => {
    const server = new FakeServer()
    server.online = false
    const store = await storeWith(server)
    const r = await store.start(filled())
    await store.queue(r.key)
    await store.load('staff:someone-else')
    server.online = true
    await store.flush()
    expect(store.mine).toHaveLength(0)
    expect(server.calls).toHaveLength(0)
  })

  it('does not send a record taken back to edit while an earlier one is still being sent', async () => {
    const server = new FakeServer()
    server.online = false
    const store = await storeWith(server)
    const records = [await store.start(filled('12')), await store.start(filled('13'))]
    for (const r of records) {
      await store.addPhoto(r.key, new Blob(['a'], { type: 'image/jpeg' }), `${r.caseId}.jpg`)
      await store.queue(r.key)
    }
    await store.flush()
    server.online = true

    // the first record's photo is slow to go up; meanwhile the worker taps 继续修改 on the other one
    let release = () => {}
    let uploading = ''
    const upload = server.upload.bind(server)
    server.upload = async (caseId: string, photo: VisitPhoto) => {
      uploading ||= caseId
      if (caseId === uploading) await new Promise<void>((resolve) => (release = resolve))
      return upload(caseId, photo)
    }
    const run = store.flush()
    await new Promise((resolve) => setTimeout(resolve, 20))
    const other = records.find((r) => r.caseId !== uploading)!
    store.records[other.key].state = 'draft'
    await store.update(other.key)
    release()
    await run

    expect(server.calls.map((c) => c.caseId)).toEqual([uploading])
    expect(store.records[other.key].state).toBe('draft')
  })

  it('keeps the records of one worker waiting while another worker is signed in on the phone', async () => {
    const server = new FakeServer()
    server.online = false
    const store = await storeWith(server)
    const r = await store.start(filled())
    await store.addPhoto(r.key, new Blob(['a'], { type: 'image/jpeg' }), 'one.jpg')
    await store.addPhoto(r.key, new Blob(['b'], { type: 'image/jpeg' }), 'two.jpg')
    await store.queue(r.key)
    await store.flush()

    // signed out offline; another worker signs in, and the network returns (no field page opened yet)
    server.signedIn = 'staff:zhen-liu'
    server.online = true
    await store.flush()
    expect(server.sentAs).toEqual([])
    expect(store.records[r.key].state).toBe('queued')

    // the owner signs in again; the first photo is slow, and the owner signs out meanwhile
    server.signedIn = OWNER
    let release = () => {}
    const upload = server.upload.bind(server)
    server.upload = (caseId: string, photo: VisitPhoto) => {
      server.upload = upload
      const answer = upload(caseId, photo)
      return new Promise<{ id: string }>((resolve) => (release = () => resolve(answer)))
    }
    const run = store.flush()
    await new Promise((resolve) => setTimeout(resolve, 20))
    server.signedIn = 'staff:zhen-liu'
    release()
    await run
    expect(server.sentAs).toEqual([OWNER])
    expect(server.calls).toEqual([])
    expect(store.records[r.key].state).toBe('queued')

    server.signedIn = OWNER
    await store.flush()
    expect(store.records[r.key].state).toBe('sent')
    expect(server.uploads).toEqual(['one.jpg', 'two.jpg'])
    expect(server.sentAs.filter((who) => who !== OWNER)).toEqual([])
  })

  it('checks what the server would refuse: two different investigators, the time, the conclusion', () => {
    const r = filled()
    expect(checkVisit(r)).toEqual({})
    expect(checkVisit({ ...r, investigators: ['Zhang', ''] }).investigators).toBe('investigators')
    expect(checkVisit({ ...r, investigators: ['Zhang', 'Zhang '] }).investigators).toBe('investigatorsSame')
    expect(checkVisit({ ...r, conclusion: ' ' }).conclusion).toBe('conclusion')
    expect(checkVisit({ ...r, visitedAt: '' }).visitedAt).toBe('visitedAt')
    expect(checkVisit({ ...r, income: '12a' }).income).toBe('income')
  })
})
