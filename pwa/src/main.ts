import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { i18n, restoreLocale } from './modules/i18n'
import { router } from './modules/router'
import { configureAuth } from './modules/graphql'
import { startServiceWorker } from './modules/pwa'
import { useSessionStore } from './features/accounts/session'
import { startOffline } from './features/cases/startOffline'
import { useElderStore } from './stores/elder'
import './styles/main.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(i18n)

const session = useSessionStore()
configureAuth({
  token: () => session.token,
  onUnauthenticated: () => {
    session.forget()
    if (router.currentRoute.value.meta.auth) {
      void router.push({ name: 'signin', query: { next: router.currentRoute.value.fullPath } })
    }
  },
})
useElderStore()

/**
 * Lets the browser paint and take a tap between the start-up steps: on a cheap phone the code above,
 * the first navigation, the first render and the offline stores are each tens of milliseconds, and in
 * one piece they would hold the phone frozen for all of them.
 */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

async function start(): Promise<void> {
  await nextTask()
  app.use(router) // starts the first navigation: the page's code and data are on their way meanwhile
  try {
    await restoreLocale()
  } catch {
    // the saved language could not be loaded (offline, first visit after an update): zh-CN it is
  }
  await nextTask()
  app.mount('#app')
  await nextTask()
  startServiceWorker()
  await nextTask()
  void startOffline()
}

void start()
