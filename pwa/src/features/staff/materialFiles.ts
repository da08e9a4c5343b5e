// Materials are served only with the bearer token (never cookies), so they are fetched here and
// shown from blob: URLs; each blob URL is let go when the page that made it closes.
import { onBeforeUnmount } from 'vue'
import { authHeader } from '@/modules/graphql'

export function useMaterialFiles() {
  const urls = new Map<string, Promise<string>>()

  function objectUrl(url: string): Promise<string> {
    let p = urls.get(url)
    if (!p) {
      p = fetch(url, { headers: authHeader() }).then(async (r) => {
        if (!r.ok) throw new Error(`http ${r.status}`)
        return URL.createObjectURL(await r.blob())
      })
      p.catch(() => urls.delete(url))
      urls.set(url, p)
    }
    return p
  }

  onBeforeUnmount(() => {
    for (const p of urls.values()) void p.then((u) => URL.revokeObjectURL(u)).catch(() => undefined)
    urls.clear()
  })

  return { objectUrl }
}

export function isImage(contentType: string): boolean {
  return contentType.startsWith('image/')
}
