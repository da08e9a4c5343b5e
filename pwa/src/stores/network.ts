// Whether the phone believes it is online; pages and the outbox react to it.
import { defineStore } from 'pinia'
import { ref } from 'vue'

export const useNetworkStore = defineStore('network', () => {
  const online = ref(typeof navigator === 'undefined' ? true : navigator.onLine)
  if (typeof window !== 'undefined') {
    window.addEventListener('online', () => (online.value = true))
    window.addEventListener('offline', () => (online.value = false))
  }
  return { online }
})
