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
  // `npm ci` installs exactly what the lock pins and never rewrites it, so a fresh clone stays
  // clean after its first `npm start`. It refuses a lock that lacks another platform's optional
  // binaries (chDB's, when the registry did not list them); then `npm install --no-save` installs
  // from the same lock, also without writing it.
  process.stderr.write('palisade: installing npm dependencies (npm ci)...\n')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const flags = ['--no-audit', '--no-fund']
  const clean = spawnSync(npm, ['ci', ...flags], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] })
  if (clean.status !== 0) {
    process.stderr.write(
      'palisade: npm ci refused the lock file; installing from it with npm install --no-save\n',
    )
    const result = spawnSync(npm, ['install', '--no-save', ...flags], { cwd: root, stdio: 'inherit' })
    if (result.status !== 0) {
      process.stderr.write(`${clean.stderr}\npalisade: npm ci and npm install failed; see the output above\n`)
      process.exit(result.status ?? 1)
    }
  }
  writeFileSync(stampFile, lockHash)
}
