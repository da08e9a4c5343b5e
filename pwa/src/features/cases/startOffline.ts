// Wires drafts and the outbox to the session: loads the person's drafts and queue, and sends the
// queue on start, on reconnect and on return to the tab.
import { watch } from 'vue'
import { useSessionStore } from '@/features/accounts/session'
import { useDraftStore } from './drafts'
import { startOutboxTriggers, useOutboxStore } from './outbox'
import { apiTransport } from './transport'

export async function startOffline(): Promise<void> {
  const session = useSessionStore()
  const drafts = useDraftStore()
  const outbox = useOutboxStore()
  outbox.setTransport(apiTransport)
  const loadFor = async (phone: string | null) => {
    try {
      if (phone) await drafts.load(phone)
      await outbox.load(phone)
    } catch {
      // IndexedDB unavailable (private mode on an old phone): the app still works online
    }
  }
  await loadFor(session.phone)
  watch(
    () => session.phone,
    async (phone) => {
      await loadFor(phone)
      void outbox.flush()
    },
  )
  startOutboxTriggers(() => void outbox.flush())
}

/** Makes sure the signed-in person's drafts and queue are loaded (pages call this before using them). */
export async function ensureOfflineStores(): Promise<void> {
  const phone = useSessionStore().phone
  const drafts = useDraftStore()
  const outbox = useOutboxStore()
  // each waits for a read already under way (the app's start-up) rather than trusting that it has ended
  if (phone) await drafts.load(phone)
  await outbox.load(phone)
}
