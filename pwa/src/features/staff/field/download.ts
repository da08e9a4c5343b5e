// Downloads a file the API serves only with the bearer token: fetch it, then save the blob.
import { DomainError, NetworkError, authHeader } from '@/modules/graphql'

function filenameFrom(disposition: string | null, fallback: string): string {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '')
  if (star) return decodeURIComponent(star[1])
  const plain = /filename="?([^";]+)"?/i.exec(disposition ?? '')
  return plain ? plain[1] : fallback
}

/** Fetches `url` with the session and saves it; throws NetworkError or DomainError (the server's message). */
export async function downloadWithToken(url: string, fallbackName: string): Promise<string> {
  let response: Response
  try {
    response = await fetch(url, { headers: authHeader() })
  } catch {
    throw new NetworkError()
  }
  if (!response.ok) {
    let body: { error?: { code: string; message: string } } = {}
    try {
      body = await response.json()
    } catch {
      // not JSON
    }
    if (body.error) throw new DomainError('ValidationError', body.error.code, body.error.message)
    throw new NetworkError(`http ${response.status}`)
  }
  const name = filenameFrom(response.headers.get('Content-Disposition'), fallbackName)
  const blob = await response.blob()
  const href = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = href
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(href), 10_000)
  return name
}
