// Test helpers: a fresh IndexedDB and Pinia, and a "reload" that keeps the database but forgets memory.
import { createPinia, setActivePinia } from 'pinia'
import { IDBFactory } from 'fake-indexeddb'
import { closeDb } from '@/modules/db'

export async function freshApp(): Promise<void> {
  await closeDb()
  globalThis.indexedDB = new IDBFactory()
  setActivePinia(createPinia())
}

/** Simulates closing and reopening the app: memory is gone, IndexedDB stays. */
export async function reloadApp(): Promise<void> {
  await closeDb()
  setActivePinia(createPinia())
}
