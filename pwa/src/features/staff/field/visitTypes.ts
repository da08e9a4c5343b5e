// A home-visit record (入户调查) made on the phone: kept in IndexedDB, with its photos, until the server has it.

/** 草稿 / 待上传 / 上传中 / 已提交 / 有冲突 / 失败 */
export type VisitState = 'draft' | 'queued' | 'sending' | 'sent' | 'conflict' | 'failed'

export interface VisitPhoto {
  /** the bytes are in the `files` store under this id */
  localId: string
  name: string
  type: string
  size: number
  /** set once uploaded to the case */
  materialId: string | null
}

export interface VisitLocation {
  latitude: number
  longitude: number
  accuracy: number
}

export interface VisitError {
  code: string
  message: string
  field: string | null
}

export interface VisitRecord {
  /** the client key: sending the record again never records the visit twice */
  key: string
  /** the staff account that made it: another account signing in on this phone does not see it */
  owner: string
  caseId: string
  caseNumber: string
  applicantName: string
  itemName: string
  /** the two staff who visited */
  investigators: string[]
  /** local date and time, as a datetime-local input gives it (YYYY-MM-DDTHH:mm) */
  visitedAt: string
  place: string
  location: VisitLocation | null
  living: string
  /** household monthly income in yuan, as typed */
  income: string
  assets: string
  notes: string
  conclusion: string
  photos: VisitPhoto[]
  state: VisitState
  error: VisitError | null
  attempts: number
  createdAt: number
  updatedAt: number
  queuedAt: number | null
  sentAt: number | null
  /** what the server said the case became */
  resultStatus: string | null
}

/** What a visit record becomes on the server (`InvestigationInput`). */
export interface InvestigationRequest {
  investigators: string[]
  visitedAt: string
  place: string
  findings: string
  conclusion: string
  materialIds: string[]
}

/** Labels for the parts of the findings text (the page passes them in the person's language). */
export interface FindingLabels {
  living: string
  income: string
  incomeUnit: string
  assets: string
  notes: string
  location: string
}

/** Turns a record into what `caseInvestigate` takes: the structured parts go into `findings`. */
export function investigationInput(r: VisitRecord, labels: FindingLabels): InvestigationRequest {
  const lines: string[] = []
  if (r.living.trim()) lines.push(`${labels.living}: ${r.living.trim()}`)
  if (r.income.trim()) lines.push(`${labels.income}: ${r.income.trim()} ${labels.incomeUnit}`)
  if (r.assets.trim()) lines.push(`${labels.assets}: ${r.assets.trim()}`)
  if (r.notes.trim()) lines.push(`${labels.notes}: ${r.notes.trim()}`)
  let place = r.place.trim()
  if (r.location) {
    const { latitude, longitude, accuracy } = r.location
    place = `${place} (${labels.location} ${latitude.toFixed(5)},${longitude.toFixed(5)} ±${Math.round(accuracy)}m)`.trim()
  }
  return {
    investigators: r.investigators.map((s) => s.trim()).filter(Boolean),
    visitedAt: new Date(r.visitedAt).toISOString(),
    place: place.slice(0, 200),
    findings: lines.join('\n').slice(0, 4000),
    conclusion: r.conclusion.trim(),
    materialIds: r.photos.map((p) => p.materialId).filter((id): id is string => !!id),
  }
}

export type VisitProblem = 'investigators' | 'investigatorsSame' | 'visitedAt' | 'visitedAtFuture' | 'conclusion' | 'income'

/** The problems that would make the server refuse the record, by field. */
export function checkVisit(r: VisitRecord, now = Date.now()): Partial<Record<keyof VisitRecord, VisitProblem>> {
  const out: Partial<Record<keyof VisitRecord, VisitProblem>> = {}
  const names = r.investigators.map((s) => s.trim()).filter(Boolean)
  if (names.length < 2) out.investigators = 'investigators'
  else if (new Set(names).size < 2) out.investigators = 'investigatorsSame'
  const at = new Date(r.visitedAt).getTime()
  if (!r.visitedAt || Number.isNaN(at)) out.visitedAt = 'visitedAt'
  else if (at > now + 5 * 60_000) out.visitedAt = 'visitedAtFuture'
  if (!r.conclusion.trim()) out.conclusion = 'conclusion'
  const income = r.income.trim()
  if (income && !/^\d+(\.\d{1,2})?$/.test(income)) out.income = 'income'
  return out
}
