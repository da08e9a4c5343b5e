// 长辈版 (elder mode): larger text and tap targets; the choice is remembered on this phone.
import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

const STORAGE_KEY = 'dachuan.elder'

function saved(): boolean {
  try {
    return localStorage.getItem(STORAGE_KEY) === '1'
  } catch {
    return false
  }
}

export function applyElderClass(on: boolean): void {
  document.documentElement.classList.toggle('elder', on)
}

export const useElderStore = defineStore('elder', () => {
  const enabled = ref(saved())
  applyElderClass(enabled.value)
  watch(enabled, (on) => {
    applyElderClass(on)
    try {
      localStorage.setItem(STORAGE_KEY, on ? '1' : '0')
    } catch {
      // private mode: lasts this visit
    }
  })
  function toggle(): void {
    enabled.value = !enabled.value
  }
  return { enabled, toggle }
})
