// The app's IndexedDB: drafts, their photos, the offline outbox, persisted query results and staff
// home-visit records.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { Draft, OutboxEntry, StoredFile } from '@/features/cases/types'
import type { VisitRecord } from '@/features/staff/field/visitTypes'

export interface PersistedQuery {
  key: string
  data: unknown
  savedAt: number
}

export interface AppDB extends DBSchema {
  drafts: { key: string; value: Draft }
  files: { key: string; value: StoredFile }
  outbox: { key: string; value: OutboxEntry }
  queries: { key: string; value: PersistedQuery }
  /** home-visit records made by staff (入户调查), kept until sent; their photos are in `files` */
  visits: { key: string; value: VisitRecord }
}

export const DB_NAME = 'dachuan-aid'
const VERSION = 2

let opening: Promise<IDBPDatabase<AppDB>> | null = null

/** Returns the open database, creating its stores on first use. */
export function db(): Promise<IDBPDatabase<AppDB>> {
  if (!opening) {
    opening = openDB<AppDB>(DB_NAME, VERSION, {
      upgrade(database, oldVersion) {
        if (oldVersion < 1) {
          database.createObjectStore('drafts', { keyPath: 'itemCode' })
          database.createObjectStore('files', { keyPath: 'localId' })
          database.createObjectStore('outbox', { keyPath: 'key' })
          database.createObjectStore('queries', { keyPath: 'key' })
        }
        if (oldVersion < 2) database.createObjectStore('visits', { keyPath: 'key' })
      },
      blocking() {
        // a newer version of the app wants to upgrade: let it
        void opening?.then((d) => d.close())
        opening = null
      },
    })
  }
  return opening
}

/** Closes and forgets the connection (tests use this to simulate a reload). */
export async function closeDb(): Promise<void> {
  if (opening) {
    const d = await opening
    d.close()
    opening = null
  }
}

/** Returns a structured-clone-safe deep copy of reactive state (Vue proxies cannot be stored). */
export function plain<T>(value: T): T {
  return cloneDeep(value)
}

function cloneDeep<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Blob || value instanceof Date) return value
  if (Array.isArray(value)) return value.map((v) => cloneDeep(v)) as T
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v !== undefined) out[k] = cloneDeep(v)
  }
  return out as T
}

/**
 * Wraps a store's read of one person's records from the phone so that it runs once per person: asked again
 * for the same person (a page and the app's start-up both ask), it waits for that read instead of reading
 * again, which would put new objects in place of the ones a page already holds. A failed read is tried again
 * next time.
 */
export function oncePerPerson<W>(read: (who: W) => Promise<void>): (who: W) => Promise<void> {
  let loaded: { who: W; done: Promise<void> } | null = null
  return (who) => {
    if (loaded && loaded.who === who) return loaded.done
    const done = read(who)
    loaded = { who, done }
    done.catch(() => {
      if (loaded?.done === done) loaded = null
    })
    return done
  }
}
