// Uploads one document to POST /api/materials (multipart: file, kind, optional caseId or, for staff,
// applicantId) with progress.
import { DomainError, NetworkError, authHeader } from '@/modules/graphql'

export const UPLOAD_PATH = '/api/materials'
const UPLOAD_TIMEOUT_MS = 120_000

export interface UploadedMaterial {
  id: string
  kind: string
  contentType: string
  size: number
  url: string
}

const TYPENAME_BY_STATUS: Record<number, string> = {
  400: 'ValidationError',
  401: 'AuthError',
  403: 'NotAllowedError',
  404: 'NotFoundError',
  409: 'ConflictError',
  413: 'ValidationError',
  429: 'RateLimitedError',
}

/** Sends one file; throws NetworkError (try again later) or DomainError (the server refused it). */
export function uploadMaterial(
  blob: Blob,
  {
    name,
    kind,
    caseId,
    applicantId,
    onProgress,
  }: { name: string; kind: string; caseId?: string; applicantId?: string; onProgress?: (percent: number) => void },
): Promise<UploadedMaterial> {
  return new Promise((resolve, reject) => {
    const form = new FormData()
    form.append('file', blob, name)
    form.append('kind', kind)
    if (caseId) form.append('caseId', caseId)
    // staff uploading for someone they serve (帮办代办) name the applicant
    else if (applicantId) form.append('applicantId', applicantId)
    const xhr = new XMLHttpRequest()
    xhr.open('POST', UPLOAD_PATH)
    xhr.timeout = UPLOAD_TIMEOUT_MS
    for (const [k, v] of Object.entries(authHeader())) xhr.setRequestHeader(k, v)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(Math.min(99, Math.round((e.loaded / e.total) * 100)))
    }
    xhr.onerror = () => reject(new NetworkError())
    xhr.ontimeout = () => reject(new NetworkError('timeout'))
    xhr.onabort = () => reject(new NetworkError('aborted'))
    xhr.onload = () => {
      let body: { error?: { code: string; message: string; field?: string | null } } & Partial<UploadedMaterial> = {}
      try {
        body = JSON.parse(xhr.responseText)
      } catch {
        body = {}
      }
      if (xhr.status === 201 || xhr.status === 200) {
        onProgress?.(100)
        resolve(body as UploadedMaterial)
      } else if (xhr.status >= 500 || xhr.status === 0 || !body.error) {
        reject(new NetworkError(`http ${xhr.status}`))
      } else {
        const { code, message, field } = body.error
        reject(new DomainError(TYPENAME_BY_STATUS[xhr.status] ?? 'ValidationError', code, message, field ?? null))
      }
    }
    xhr.send(form)
  })
}
