// Supervision (督查): the overdue board and the provincial sync board. Route names are fixed here because
// the staff home links to them.
import type { RouteRecordRaw } from 'vue-router'

export const SUPERVISION_ROUTE_NAMES = {
  overdue: 'staff-overdue', // open cases due soon or overdue, by township, item and stage
  provinceSync: 'staff-province-sync', // 高龄津贴 pushes to the province: pending, failing, dead; retry
} as const

// who the API answers (api/cases/service.py BOARD_ROLES; provinceSyncs: supervisors only)
export const BOARD_ROLES = ['supervisor', 'township_officer', 'approver', 'verifier', 'admin']
export const SYNC_ROLES = ['supervisor']

export interface SupervisionEntry {
  name: string
  /** message key under staff.supervision.entries */
  key: string
  icon: string
  roles: string[]
}

export const SUPERVISION_ENTRIES: SupervisionEntry[] = [
  { name: SUPERVISION_ROUTE_NAMES.overdue, key: 'overdue', icon: 'warning-o', roles: BOARD_ROLES },
  { name: SUPERVISION_ROUTE_NAMES.provinceSync, key: 'provinceSync', icon: 'exchange', roles: SYNC_ROLES },
]

/** The supervision pages a role's home links to. */
export function supervisionEntries(role: string | null): SupervisionEntry[] {
  return SUPERVISION_ENTRIES.filter((e) => !!role && e.roles.includes(role))
}

export const supervisionRoutes: RouteRecordRaw[] = [
  {
    path: '/staff/overdue',
    name: SUPERVISION_ROUTE_NAMES.overdue,
    component: () => import('./OverdueBoardPage.vue'),
    meta: { staff: BOARD_ROLES, messages: ['staff'] },
  },
  {
    path: '/staff/province-sync',
    name: SUPERVISION_ROUTE_NAMES.provinceSync,
    component: () => import('./ProvinceSyncPage.vue'),
    meta: { staff: SYNC_ROLES, messages: ['staff'] },
  },
]
