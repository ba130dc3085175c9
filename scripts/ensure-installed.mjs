#!/usr/bin/env node
// Installs the project's npm dependencies when they are missing or older than package-lock.json,
// so that `npm start` and `npm test` work on a fresh clone with nothing run before them.
// Plain Node (no dependencies): it runs before anything is installed.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const lockFile = join(root, 'package-lock.json')
const stampFile = join(root, 'node_modules', '.palisade-installed')
const lockHash = createHash('sha256').update(readFileSync(lockFile)).digest('hex')

const installed = existsSync(stampFile) && readFileSync(stampFile, 'utf8') === lockHash
if (!installed) {
  // `npm ci`, not `npm install`: it installs exactly what the lock pins and never rewrites it, so
  // a fresh clone stays clean after its first `npm start`. The lock lists every platform's optional
  // binaries (chDB, Biome, esbuild, Turbo), as npm 11 writes it, so `npm ci` accepts it anywhere.
  process.stderr.write('palisade: installing npm dependencies (npm ci)...\n')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    process.stderr.write('palisade: npm ci failed; see the output above\n')
    process.exit(result.status ?? 1)
  }
  writeFileSync(stampFile, lockHash)
}
