// Routes: every page but the first screen is loaded on demand; signed-in pages send others to sign in.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import HomePage from '@/pages/HomePage.vue'
import { useSessionStore } from '@/features/accounts/session'
import { CaseDetailDocument } from '@/generated/graphql'
import { fetchQuery } from './graphql'

declare module 'vue-router' {
  interface RouteMeta {
    auth?: boolean
    tabs?: boolean
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
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('@/pages/NotFoundPage.vue') },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior(_to, _from, saved) {
    return saved ?? { top: 0 }
  },
})

router.beforeEach((to) => {
  if (to.meta.auth && !useSessionStore().signedIn) {
    return { name: 'signin', query: { next: to.fullPath } }
  }
  // ask for the case while the page's code is still loading: one round trip less on a slow network
  if (to.name === 'case' && typeof to.params.id === 'string') {
    void fetchQuery(CaseDetailDocument, { id: to.params.id }, 'user').catch(() => undefined)
  }
  return true
})
