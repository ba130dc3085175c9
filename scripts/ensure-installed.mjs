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
  // `npm install`, not `npm ci`: the lock file holds only the optional platform packages (chDB,
  // Biome, Turbo binaries) that the registry served for this platform, and `npm ci` refuses a
  // lock without the others. With a lock present, `npm install` installs exactly what it pins.
  process.stderr.write('palisade: installing npm dependencies (npm install)...\n')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) {
    process.stderr.write('palisade: npm install failed; see the output above\n')
    process.exit(result.status ?? 1)
  }
  // npm may have normalised the lock file: stamp what is there now.
  writeFileSync(stampFile, createHash('sha256').update(readFileSync(lockFile)).digest('hex'))
}
