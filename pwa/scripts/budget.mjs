// Prints the gzipped size of the JavaScript the first screen needs: the entry HTML's module script
// and every module it preloads (and, to be safe, every chunk those import statically). Exits 1 when
// it is above the budget (150 KB gzipped, overridable with PWA_JS_BUDGET_KB).
import { readFileSync, existsSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const budgetKb = Number(process.env.PWA_JS_BUDGET_KB ?? 150)
const indexPath = join(dist, 'index.html')
if (!existsSync(indexPath)) {
  console.error(`budget: ${indexPath} not found: run \`npm run build\` first`)
  process.exit(2)
}
const html = readFileSync(indexPath, 'utf8')
const eager = new Set()
for (const m of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) eager.add(m[1])
for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) eager.add(m[1])
for (const m of html.matchAll(/<link[^>]*href="([^"]+)"[^>]*rel="modulepreload"/g)) eager.add(m[1])

// follow static imports through Vite's manifest: anything the entry imports statically loads eagerly
const manifestPath = join(dist, '.vite', 'manifest.json')
if (existsSync(manifestPath)) {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
  const byFile = new Map(Object.entries(manifest).map(([key, chunk]) => [`/${chunk.file}`, key]))
  const queue = [...eager].map((f) => byFile.get(f)).filter(Boolean)
  const seen = new Set(queue)
  while (queue.length) {
    const chunk = manifest[queue.shift()]
    eager.add(`/${chunk.file}`)
    for (const imported of chunk.imports ?? []) {
      if (!seen.has(imported)) {
        seen.add(imported)
        queue.push(imported)
      }
    }
  }
}

let total = 0
const rows = []
for (const url of [...eager].filter((u) => u.endsWith('.js')).sort()) {
  const bytes = readFileSync(join(dist, url.replace(/^\//, '')))
  const gz = gzipSync(bytes, { level: 9 }).length
  total += gz
  rows.push([url, bytes.length, gz])
}
for (const [url, raw, gz] of rows) {
  console.log(`  ${url.padEnd(48)} ${(raw / 1024).toFixed(1).padStart(7)} KB  ${(gz / 1024).toFixed(1).padStart(6)} KB gz`)
}
const kb = total / 1024
console.log(`first-screen JS: ${kb.toFixed(1)} KB gzipped (budget ${budgetKb} KB, ${rows.length} files)`)
if (kb > budgetKb) {
  console.error(`budget exceeded by ${(kb - budgetKb).toFixed(1)} KB`)
  process.exit(1)
}
