/// <reference types="vitest/config" />
// Vite: Vue + Vant on demand + the service worker and manifest; the dev server proxies the API.
import { createHash } from 'node:crypto'
import { fileURLToPath, URL } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { VitePWA } from 'vite-plugin-pwa'
import { baseCompile } from '@intlify/message-compiler'
import zhCN from './src/locales/zh-CN.json'

const API = process.env.API_URL ?? 'http://127.0.0.1:8000'
export const THEME_COLOR = '#1d4ed8'

/**
 * Vant inlines its icon font in its CSS as a 25 KB base64 data URL, which every page would then wait
 * for before its first paint. At build time the font becomes a file of its own, loaded only when an
 * icon is drawn (and precached for offline use like every other asset).
 */
function vantIconFontAsFile(): Plugin {
  let font: { fileName: string; source: Buffer } | null = null
  return {
    name: 'dachuan:vant-icon-font-as-file',
    apply: 'build',
    enforce: 'pre',
    transform(code, id) {
      if (!id.replace(/\\/g, '/').includes('/vant/es/icon/index.css')) return null
      // the whole src list: the inlined font and Vant's fallback to a CDN (never used: no CDN here)
      const match = /src:url\(data:font\/woff2;charset=utf-8;base64,([^)]+)\) format\("woff2"\)(,url\([^)]*\) format\("woff"\))?/.exec(code)
      if (!match) return null
      const source = Buffer.from(match[1], 'base64')
      const hash = createHash('sha256').update(source).digest('hex').slice(0, 10)
      font = { fileName: `assets/vant-icon-${hash}.woff2`, source }
      return code.replace(match[0], `src:url(/${font.fileName}) format("woff2")`).replace('font-display:auto', 'font-display:block')
    },
    generateBundle() {
      if (font) this.emitFile({ type: 'asset', fileName: font.fileName, source: font.source })
    },
  }
}

/**
 * The messages in `src/locales` compiled at build time, as vue-i18n would compile each one on first use
 * on the phone: every string becomes its message AST (what vue-i18n's JIT compiler makes of it). The
 * app then ships without the message compiler (`__INTLIFY_DROP_MESSAGE_COMPILER__`) and a page's first
 * render compiles nothing. A message vue-i18n could not read fails the build.
 */
function precompiledMessages(): Plugin {
  const compile = (value: unknown, where: string): unknown => {
    if (typeof value === 'string') {
      return baseCompile(value, {
        jit: true,
        location: false,
        minify: true,
        onError: (error) => {
          throw new Error(`${where}: ${error.message}`)
        },
      }).ast
    }
    if (Array.isArray(value)) return value.map((v, i) => compile(v, `${where}.${i}`))
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compile(v, where ? `${where}.${k}` : k)]))
    }
    return value
  }
  return {
    name: 'dachuan:precompiled-messages',
    apply: 'build',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0].replace(/\\/g, '/')
      if (!/\/src\/locales\/.+\.json$/.test(file)) return null
      return { code: JSON.stringify(compile(JSON.parse(code), file.slice(file.indexOf('/src/locales/') + 1))), map: null }
    },
  }
}

export default defineConfig(({ command }) => ({
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  define: {
    // no <i18n-t>, <i18n-n>, <i18n-d> or v-t in the app: vue-i18n leaves them out
    __VUE_I18N_FULL_INSTALL__: false,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    // built messages are precompiled (above); the dev server and the unit tests compile them as they go
    __INTLIFY_DROP_MESSAGE_COMPILER__: command === 'build',
    __VUE_PROD_DEVTOOLS__: false,
    __VUE_OPTIONS_API__: false,
  },
  plugins: [
    vantIconFontAsFile(),
    precompiledMessages(),
    vue(),
    Components({ resolvers: [VantResolver()], dts: 'src/components.d.ts', dirs: [] }),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['favicon.ico', 'icons/apple-touch-icon.png'],
      manifest: {
        id: '/',
        name: zhCN.app.name,
        short_name: zhCN.app.shortName,
        description: zhCN.app.slogan,
        lang: 'zh-CN',
        dir: 'ltr',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        theme_color: THEME_COLOR,
        background_color: '#ffffff',
        categories: ['government', 'utilities'],
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // the app shell and every route's code, so the app opens and works with no network
        globPatterns: ['**/*.{js,css,html,png,ico,webmanifest,woff2}'],
        // but not ECharts (190 KB gzipped): only the staff's analytics pages draw charts, and they need the network anyway
        globIgnores: ['**/echarts-*.js'],
        navigateFallback: '/index.html',
        // the API is never answered from the cache: GraphQL, uploads, materials, health
        navigateFallbackDenylist: [/^\/graphql/, /^\/api\//, /^\/province-sim/, /^\/healthz/, /^\/readyz/, /^\/metrics/],
        runtimeCaching: [],
        cleanupOutdatedCaches: true,
        clientsClaim: false,
        skipWaiting: false,
      },
    }),
  ],
  build: {
    target: ['es2020', 'chrome80', 'safari14'],
    manifest: true,
    cssCodeSplit: true,
    chunkSizeWarningLimit: 400,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/graphql': { target: API, ws: true, changeOrigin: true },
      '/api': { target: API, changeOrigin: true },
    },
  },
  test: {
    environment: 'node',
    setupFiles: ['fake-indexeddb/auto'],
    include: ['src/**/*.test.ts'],
  },
}))
