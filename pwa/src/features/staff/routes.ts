// The staff side (管理端): its pages load on demand with the `staff` message namespace. A staff member
// who still has an initial password is sent to change it before any other staff page.
import type { NavigationGuard, RouteRecordRaw } from 'vue-router'
import { useSessionStore } from '@/features/accounts/session'
import { fieldRoutes } from './field/routes'
import { supervisionRoutes } from './supervision/routes'

const passwordFirst: NavigationGuard = (to) => {
  const session = useSessionStore()
  if (session.isStaff && session.mustChangePassword) return { name: 'staff-password', query: { next: to.fullPath } }
  return true
}

function guarded(route: RouteRecordRaw): RouteRecordRaw {
  const own = route.beforeEnter
  const list = own ? (Array.isArray(own) ? own : [own]) : []
  return { ...route, beforeEnter: [passwordFirst, ...list] } as RouteRecordRaw
}

export const staffRoutes: RouteRecordRaw[] = [
  {
    path: '/staff/signin',
    name: 'staff-signin',
    component: () => import('./pages/StaffSignInPage.vue'),
    meta: { messages: ['staff'] },
  },
  {
    path: '/staff/password',
    name: 'staff-password',
    component: () => import('./pages/StaffPasswordPage.vue'),
    meta: { staff: true, messages: ['staff'] },
  },
  ...([
    {
      path: '/staff',
      name: 'staff-home',
      component: () => import('./pages/StaffHomePage.vue'),
      meta: { staff: true, messages: ['staff'] },
    },
    {
      path: '/staff/queue',
      name: 'staff-queue',
      component: () => import('./pages/StaffQueuePage.vue'),
      meta: { staff: true, messages: ['staff'] },
    },
    {
      path: '/staff/cases/:id',
      name: 'staff-case',
      component: () => import('./pages/StaffCasePage.vue'),
      props: true,
      meta: { staff: true, messages: ['staff'] },
    },
    ...fieldRoutes,
    ...supervisionRoutes,
  ] as RouteRecordRaw[]).map(guarded),
]
