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

app.use(router)
void restoreLocale().finally(() => {
  app.mount('#app')
  startServiceWorker()
  void startOffline()
})
