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

export const fieldRoutes: RouteRecordRaw[] = []
