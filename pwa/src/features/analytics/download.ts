// Downloads: a table as CSV made here, and the 回头看 report as XLSX from the server. The XLSX endpoint
// takes the bearer token only (never a cookie), so it is fetched with the token and saved from a blob.
import { authHeader, DomainError, NetworkError, ServerError } from '@/modules/graphql'
import { fileName, toCsv, type DateRange, type Table } from './shape'

/** Offers a blob to the browser as a file download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.style.display = 'none'
  document.body.append(a)
  a.click()
  a.remove()
  // the download has started by the next tick; keep the URL a little longer for slow browsers
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}

export function downloadCsv(table: Table, what: string, range: DateRange): void {
  saveBlob(new Blob([toCsv(table)], { type: 'text/csv;charset=utf-8' }), fileName(what, range, 'csv'))
}

/** Fetches the review report as XLSX and saves it; throws DomainError with the server's message. */
export async function downloadReviewXlsx(range: DateRange): Promise<void> {
  const query = new URLSearchParams({ from: range.from, to: range.to })
  let response: Response
  try {
    response = await fetch(`/api/analytics/review-report.xlsx?${query}`, { headers: authHeader(), cache: 'no-store' })
  } catch {
    throw new NetworkError()
  }
  if (!response.ok) {
    let error: { code?: string; message?: string; field?: string | null } | undefined
    try {
      error = ((await response.json()) as { error?: typeof error }).error
    } catch {
      error = undefined
    }
    if (error?.message) throw new DomainError('Error', error.code ?? 'unknown', error.message, error.field ?? null)
    throw response.status >= 500 ? new NetworkError(`http ${response.status}`) : new ServerError(`http ${response.status}`, response.status)
  }
  saveBlob(await response.blob(), fileName('review-report', range, 'xlsx'))
}
