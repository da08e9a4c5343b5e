// The analytics dashboard and the 回头看 review: loaded on demand with ECharts and their messages.
import type { RouteRecordRaw } from 'vue-router'

/** The roles the statistics API answers (the server checks it again on every query). */
export const ANALYTICS_ROLES = ['analyst', 'supervisor', 'admin']

export const analyticsRoutes: RouteRecordRaw[] = [
  {
    path: '/analytics',
    name: 'analytics-dashboard',
    component: () => import('./pages/DashboardPage.vue'),
    meta: { staff: ANALYTICS_ROLES, messages: ['analytics'] },
  },
  {
    path: '/analytics/review',
    name: 'analytics-review',
    component: () => import('./pages/ReviewPage.vue'),
    meta: { staff: ANALYTICS_ROLES, messages: ['analytics'] },
  },
]
