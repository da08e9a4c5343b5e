// Routes: every page but the first screen is loaded on demand; signed-in pages send others to sign in.
import { START_LOCATION, createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import HomePage from '@/pages/HomePage.vue'
import { useSessionStore } from '@/features/accounts/session'
import { CaseDetailDocument } from '@/generated/cases'
import { staffRoutes } from '@/features/staff/routes'
import { analyticsRoutes } from '@/features/analytics/routes'
import { fetchQuery } from './graphql'
import { loadNamespace, type Namespace } from './i18n'

declare module 'vue-router' {
  interface RouteMeta {
    auth?: boolean
    tabs?: boolean
    /** staff pages: only a signed-in staff member (of one of these roles, when given) */
    staff?: boolean | string[]
    /** message namespaces the page needs, loaded before it shows */
    messages?: Namespace[]
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: HomePage, meta: { tabs: true } },
  { path: '/signin', name: 'signin', component: () => import('@/pages/SignInPage.vue') },
  { path: '/items/:code', name: 'item', component: () => import('@/pages/ItemPage.vue'), props: true },
  { path: '/apply/:code', name: 'apply', component: () => import('@/pages/ApplyPage.vue'), props: true, meta: { auth: true } },
  {
    path: '/submitted/:submissionKey',
    name: 'submitted',
    component: () => import('@/pages/SubmittedPage.vue'),
    props: true,
    meta: { auth: true },
  },
  { path: '/cases', name: 'cases', component: () => import('@/pages/CasesPage.vue'), meta: { auth: true, tabs: true } },
  { path: '/cases/:id', name: 'case', component: () => import('@/pages/CasePage.vue'), props: true, meta: { auth: true } },
  { path: '/profile', name: 'profile', component: () => import('@/pages/ProfilePage.vue'), meta: { auth: true, tabs: true } },
  ...staffRoutes,
  ...analyticsRoutes,
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('@/pages/NotFoundPage.vue') },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior(_to, from, saved) {
    // the first page of a visit is at the top already: scrolling there would only force a layout of
    // the whole page in the middle of its first render
    if (from === START_LOCATION) return saved ?? false
    return saved ?? { top: 0 }
  },
})

router.beforeEach(async (to) => {
  const session = useSessionStore()
  if (to.meta.staff) {
    if (!session.isStaff) return { name: 'staff-signin', query: { next: to.fullPath } }
    const roles = Array.isArray(to.meta.staff) ? to.meta.staff : null
    if (roles && !roles.includes(session.role ?? '')) return { name: 'staff-home' }
  } else if (to.meta.auth && !session.signedIn) {
    return { name: 'signin', query: { next: to.fullPath } }
  }
  if (to.meta.messages) await Promise.all(to.meta.messages.map(loadNamespace))
  // ask for the case while the page's code is still loading: one round trip less on a slow network
  if (to.name === 'case' && typeof to.params.id === 'string') {
    void fetchQuery(CaseDetailDocument, { id: to.params.id }, 'user').catch(() => undefined)
  }
  return true
})
