import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The API token: the configured one, else the one kept in `<dataDir>/token`, else a new random one
 * written there with mode 600 (only the owner may read it). Tells the caller which it was.
 */
export function resolveToken(
  dataDir: string,
  configured: string | undefined,
): { token: string; origin: 'env' | 'file' | 'generated'; path: string } {
  const path = join(dataDir, 'token')
  if (configured) return { token: configured, origin: 'env', path }
  mkdirSync(dataDir, { recursive: true })
  try {
    const token = readFileSync(path, 'utf8').trim()
    if (token.length >= 16) {
      // Tighten a file someone loosened: the token grants full access.
      if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
      return { token, origin: 'file', path }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const token = randomBytes(24).toString('base64url')
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'w' })
  chmodSync(path, 0o600)
  return { token, origin: 'generated', path }
}
