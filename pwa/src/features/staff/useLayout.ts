// Desktop or phone: the staff pages put the queue and a case side by side on a wide screen.
import { onBeforeUnmount, ref } from 'vue'

export const WIDE_QUERY = '(min-width: 1024px)'

export function useWide() {
  const media = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia(WIDE_QUERY) : null
  const wide = ref(media?.matches ?? false)
  const onChange = (e: MediaQueryListEvent) => (wide.value = e.matches)
  media?.addEventListener('change', onChange)
  onBeforeUnmount(() => media?.removeEventListener('change', onChange))
  return wide
}
