import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DataDirectoryInUseError } from './errors.ts'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; it still holds the directory.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Claim an embedded data directory for this process with a pid file, before chDB opens it: a
 * second process gets a {@link DataDirectoryInUseError} naming the holder, instead of chDB's own
 * "Cannot lock file" message and stack. A pid file left by a killed process is taken over. Returns
 * the release, which removes the file.
 */
export function lockDataDirectory(dataDir: string): () => void {
  const file = join(dataDir, 'palisade.pid')
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const holder = Number(readFileSync(file, 'utf8').trim())
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new DataDirectoryInUseError(dataDir, `process ${holder}`)
    }
    writeFileSync(file, String(process.pid))
  }
  let released = false
  return () => {
    if (released) return
    released = true
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true })
    } catch {
      // Already gone (the directory was removed): nothing is held.
    }
  }
}
