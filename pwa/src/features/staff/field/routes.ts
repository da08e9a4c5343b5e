// Field work on the staff side: the proxy service (帮办代办), offline home visits, finance and
// administration. Route names are fixed here because the staff home and case page link to them.
import type { RouteRecordRaw } from 'vue-router'

export const FIELD_ROUTE_NAMES = {
  proxyList: 'staff-proxy', // 我代办的
  proxyNew: 'staff-proxy-new', // find or register an applicant, then apply for them
  visit: 'staff-visit', // params: { caseId } — the home-investigation form for one case
  visits: 'staff-visits', // visit records kept on this phone, sent or waiting
  finance: 'staff-finance', // payment batches and their XLSX
  admin: 'staff-admin', // accounts, items, regions
} as const

/** The wizard for one applicant and item, reached from the proxy service (params: applicantId, code). */
export const PROXY_APPLY_ROUTE = 'staff-proxy-apply'

const PROXY_ROLES = ['village_worker', 'township_officer']
const messages: ('staff' | 'fieldwork')[] = ['fieldwork']

export const fieldRoutes: RouteRecordRaw[] = [
  {
    path: '/staff/proxy',
    name: FIELD_ROUTE_NAMES.proxyList,
    component: () => import('./ProxyListPage.vue'),
    meta: { staff: PROXY_ROLES, messages },
  },
  {
    path: '/staff/proxy/new',
    name: FIELD_ROUTE_NAMES.proxyNew,
    component: () => import('./ProxyNewPage.vue'),
    meta: { staff: PROXY_ROLES, messages },
  },
  {
    path: '/staff/proxy/apply/:applicantId/:code',
    name: PROXY_APPLY_ROUTE,
    component: () => import('./ProxyApplyPage.vue'),
    props: true,
    meta: { staff: PROXY_ROLES, messages },
  },
  {
    path: '/staff/visits',
    name: FIELD_ROUTE_NAMES.visits,
    component: () => import('./VisitsPage.vue'),
    meta: { staff: PROXY_ROLES, messages },
  },
  {
    path: '/staff/visits/:caseId',
    name: FIELD_ROUTE_NAMES.visit,
    component: () => import('./VisitPage.vue'),
    props: true,
    meta: { staff: PROXY_ROLES, messages },
  },
  {
    path: '/staff/finance',
    name: FIELD_ROUTE_NAMES.finance,
    component: () => import('./FinancePage.vue'),
    meta: { staff: ['finance', 'approver', 'supervisor'], messages },
  },
  {
    path: '/staff/admin',
    name: FIELD_ROUTE_NAMES.admin,
    component: () => import('./AdminPage.vue'),
    meta: { staff: ['admin'], messages },
  },
]
