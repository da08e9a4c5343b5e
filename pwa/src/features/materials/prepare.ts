// Prepares a chosen file on the phone before upload: photos are compressed to about 1 MB and at most
// 1920 px; PDFs pass as they are; anything else is refused with a reason (never dropped silently).

export const TARGET_IMAGE_MB = 1
export const MAX_DIMENSION = 1920
/** a photo still larger than this after compression is refused */
export const MAX_IMAGE_BYTES = 1.5 * 1024 * 1024
export const MAX_PDF_BYTES = 10 * 1024 * 1024

export type Kind = 'jpeg' | 'png' | 'webp' | 'pdf' | 'image' | 'other'

export type Prepared =
  | { ok: true; blob: Blob; name: string }
  | { ok: false; reason: 'type' | 'tooLarge' | 'pdfTooLarge' | 'unreadable'; size: number; max: number }

/** Tells a file's type from its first bytes (a picker may give no MIME type). */
export async function sniff(file: Blob): Promise<Kind> {
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer())
  const ascii = (from: number, to: number) => String.fromCharCode(...head.slice(from, to))
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg'
  if (head[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png'
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp'
  if (ascii(0, 4) === '%PDF') return 'pdf'
  if (file.type.startsWith('image/')) return 'image'
  return 'other'
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`
  return `${Math.max(1, Math.round(bytes / 1024))} KB`
}

function jpegName(name: string): string {
  const base = name.replace(/\.[^.]+$/, '') || 'photo'
  return `${base}.jpg`
}

export async function prepareFile(file: File): Promise<Prepared> {
  const kind = await sniff(file)
  if (kind === 'other') return { ok: false, reason: 'type', size: file.size, max: 0 }
  if (kind === 'pdf') {
    if (file.size > MAX_PDF_BYTES) return { ok: false, reason: 'pdfTooLarge', size: file.size, max: MAX_PDF_BYTES }
    return { ok: true, blob: file, name: file.name || 'document.pdf' }
  }
  const { default: imageCompression } = await import('browser-image-compression')
  let compressed: Blob
  try {
    compressed = await imageCompression(file, {
      maxSizeMB: TARGET_IMAGE_MB,
      maxWidthOrHeight: MAX_DIMENSION,
      // the library's worker would load its code from a CDN: compress on the page instead
      useWebWorker: false,
      fileType: 'image/jpeg',
      initialQuality: 0.85,
      maxIteration: 12,
    })
  } catch {
    return { ok: false, reason: 'unreadable', size: file.size, max: 0 }
  }
  if (compressed.size > MAX_IMAGE_BYTES) {
    return { ok: false, reason: 'tooLarge', size: compressed.size, max: MAX_IMAGE_BYTES }
  }
  return { ok: true, blob: compressed, name: jpegName(file.name) }
}
