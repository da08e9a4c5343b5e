// Client-side shapes of an application in progress: the draft, its files, and the outbox entry.

export type WizardStep = 'identity' | 'household' | 'form' | 'materials' | 'review'

export interface ProfileDraft {
  name: string
  idNumber: string
  address: string
  townshipCode: string
  regionCode: string
  phone: string
  bankName: string
  bankAccount: string
}

export interface MemberDraft {
  localId: string
  name: string
  relation: string
  idNumber: string
  monthlyIncome: string
  health: string
  disability: string
}

export type FileState = 'local' | 'uploading' | 'uploaded' | 'failed'

/** A document chosen for the application; its bytes are in the `files` store under `localId`. */
export interface DraftFile {
  localId: string
  kind: string
  name: string
  type: string
  size: number
  state: FileState
  progress: number
  materialId: string | null
  error: string | null
}

export interface StoredFile {
  localId: string
  blob: Blob
}

export interface Draft {
  itemCode: string
  /** the phone of the person who owns it: another person signing in on this phone does not see it */
  owner: string
  submissionKey: string
  step: WizardStep
  profile: ProfileDraft
  /** the profile differs from what the server has and must be saved before submitting */
  profileDirty: boolean
  members: MemberDraft[]
  membersDirty: boolean
  form: Record<string, unknown>
  files: DraftFile[]
  consent: boolean
  createdAt: number
  updatedAt: number
  /** when the first answer was saved: the start of "time to apply" (absent until then) */
  firstAnsweredAt?: number
  /** staff applying on someone's behalf (帮办代办): the applicant's id; the draft's key is then not the item code */
  proxyApplicantId?: string
}

/** 待上传 / 上传中 / 已提交 / 失败 */
export type OutboxState = 'queued' | 'sending' | 'submitted' | 'failed'

export interface OutboxError {
  code: string
  message: string
  field: string | null
}

export interface OutboxEntry {
  /** the submission key: sending it again never makes a second case */
  key: string
  owner: string
  itemCode: string
  draft: Draft
  state: OutboxState
  attempts: number
  error: OutboxError | null
  caseId: string | null
  caseNumber: string | null
  queuedAt: number
  sentAt: number | null
}

export function emptyProfile(): ProfileDraft {
  return { name: '', idNumber: '', address: '', townshipCode: '', regionCode: '', phone: '', bankName: '', bankAccount: '' }
}

/** Returns a random key for one submission (the server accepts 8–64 of [A-Za-z0-9_-]). */
export function newKey(): string {
  const c: Crypto = globalThis.crypto
  if (typeof c.randomUUID === 'function') return c.randomUUID().replace(/-/g, '')
  const bytes = new Uint8Array(16)
  c.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
