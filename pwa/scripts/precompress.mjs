// Writes .br and .gz beside each compressible file of dist/, so the server can send them as they are
// (Content-Encoding: br or gzip) instead of compressing on every request: on slow 4G the first screen
// arrives about three times faster compressed.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')
const COMPRESSIBLE = /\.(js|mjs|css|html|json|webmanifest|svg|txt)$/
let files = 0
let before = 0
let after = 0

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (COMPRESSIBLE.test(name)) {
      const raw = readFileSync(path)
      if (raw.length < 1024) continue
      const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
      writeFileSync(`${path}.br`, br)
      writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }))
      files += 1
      before += raw.length
      after += br.length
    }
  }
}

walk(dist)
console.log(`precompressed ${files} files: ${(before / 1024).toFixed(0)} KB → ${(after / 1024).toFixed(0)} KB brotli`)
