// What each staff role works on: the statuses of its queue (as the API's workQueue subscription
// decides, api/cases/subscriptions.py) and which field pages its home offers.
import type { CaseStatus } from '@/generated/staff'
import { FIELD_ROUTE_NAMES } from './field/routes'

export const OPEN_STATUSES: CaseStatus[] = [
  'SUBMITTED',
  'RETURNED',
  'ACCEPTED',
  'INVESTIGATING',
  'VERIFYING',
  'REVIEWING',
  'APPROVING',
  'PROVINCE_REVIEW',
  'APPROVED',
  'PAYING',
]

export const QUEUE_STATUSES: Record<string, CaseStatus[]> = {
  village_worker: ['SUBMITTED', 'RETURNED', 'INVESTIGATING'],
  township_officer: ['SUBMITTED', 'RETURNED', 'INVESTIGATING', 'REVIEWING', 'APPROVING', 'APPROVED'],
  verifier: ['VERIFYING'],
  approver: ['APPROVING', 'PROVINCE_REVIEW', 'APPROVED'],
  finance: ['APPROVED', 'PAYING'],
  supervisor: OPEN_STATUSES,
}

/** The statuses a role's queue shows; roles without a queue of their own see every open case. */
export function queueStatuses(role: string | null): CaseStatus[] {
  return (role && QUEUE_STATUSES[role]) || OPEN_STATUSES
}

/** Whether the role has a live work queue (the server refuses the subscription to the others). */
export function hasLiveQueue(role: string | null): boolean {
  return !!role && role in QUEUE_STATUSES
}

export interface FieldEntry {
  /** a route name from field/routes.ts */
  name: string
  /** message key under staff.home.field */
  key: string
  icon: string
}

// the analytics dashboard's route (features/analytics/routes.ts), for the roles its API answers
const ANALYTICS: FieldEntry = { name: 'analytics-dashboard', key: 'analytics', icon: 'chart-trending-o' }
const PROXY_AND_VISITS: FieldEntry[] = [
  { name: FIELD_ROUTE_NAMES.proxyNew, key: 'proxyNew', icon: 'add-o' },
  { name: FIELD_ROUTE_NAMES.proxyList, key: 'proxyList', icon: 'friends-o' },
  { name: FIELD_ROUTE_NAMES.visits, key: 'visits', icon: 'home-o' },
]
const FINANCE: FieldEntry = { name: FIELD_ROUTE_NAMES.finance, key: 'finance', icon: 'balance-o' }

const FIELD_ENTRIES: Record<string, FieldEntry[]> = {
  village_worker: PROXY_AND_VISITS,
  township_officer: PROXY_AND_VISITS,
  finance: [FINANCE],
  approver: [FINANCE],
  supervisor: [FINANCE, ANALYTICS],
  analyst: [ANALYTICS],
  admin: [{ name: FIELD_ROUTE_NAMES.admin, key: 'admin', icon: 'setting-o' }, ANALYTICS],
}

/** The field pages a role's home links to (only those whose routes exist are shown). */
export function fieldEntries(role: string | null): FieldEntry[] {
  return (role && FIELD_ENTRIES[role]) || []
}

const NOTING_ROLES = ['village_worker', 'township_officer', 'verifier', 'approver', 'finance', 'supervisor']
const ENDED: CaseStatus[] = ['REFUSED', 'WITHDRAWN', 'REJECTED', 'CLOSED']

/** Whether the role may leave an internal note on a case in this status (as the API's caseComment allows). */
export function canNote(role: string | null, status: CaseStatus): boolean {
  return !!role && NOTING_ROLES.includes(role) && !ENDED.includes(status)
}
