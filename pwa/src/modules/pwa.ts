// The service worker: registered on start; a new version waits until the person taps "update"
// (never an automatic reload that could interrupt typing).
import { ref } from 'vue'
import { registerSW } from 'virtual:pwa-register'

export const needRefresh = ref(false)
export const offlineReady = ref(false)
let updateSW: ((reload?: boolean) => Promise<void>) | null = null

export function startServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return
  updateSW = registerSW({
    // after the page has loaded: precaching the whole app must not compete with the first screen
    immediate: false,
    onNeedRefresh() {
      needRefresh.value = true
    },
    onOfflineReady() {
      offlineReady.value = true
    },
    onRegisteredSW(_url, registration) {
      // look for a new version now and then while the app stays open
      if (registration) setInterval(() => void registration.update().catch(() => undefined), 60 * 60 * 1000)
    },
  })
}

/** Activates the waiting version and reloads; drafts are already saved as typed. */
export async function applyUpdate(): Promise<void> {
  needRefresh.value = false
  await updateSW?.(true)
}

export function dismissUpdate(): void {
  needRefresh.value = false
}
