// The staff side (管理端): its pages load on demand with the `staff` message namespace.
import type { RouteRecordRaw } from 'vue-router'
import { fieldRoutes } from './field/routes'

export const staffRoutes: RouteRecordRaw[] = [
  {
    path: '/staff/signin',
    name: 'staff-signin',
    component: () => import('./pages/StaffSignInPage.vue'),
    meta: { messages: ['staff'] },
  },
  {
    path: '/staff',
    name: 'staff-home',
    component: () => import('./pages/StaffHomePage.vue'),
    meta: { staff: true, messages: ['staff'] },
  },
  ...fieldRoutes,
]
