import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { assert } from 'vitest'

/**
 * The shared fixtures: real sample records written by other projects, kept beside the project in
 * `../shared/fixtures` (never copied in). Each test cites the file's source, from
 * `../shared/fixtures/README.md`.
 */
export const sharedFixturesDir = fileURLToPath(new URL('../../../../../shared/fixtures/', import.meta.url))

/**
 * Whether the shared fixtures are here. In CI (`inCi`: the test passes whether its environment has CI=true)
 * they must be: a missing folder fails instead of skipping.
 */
export function sharedFixturesAvailable(inCi: boolean): boolean {
  const available = existsSync(sharedFixturesDir)
  if (!available && inCi) {
    assert.fail(`the shared fixtures are missing at ${sharedFixturesDir}; CI must have them`)
  }
  return available
}

/** The text of one shared fixture, by its path under `fixtures/`. */
export function readSharedFixture(path: string): string {
  return readFileSync(new URL(path, `file://${sharedFixturesDir}`), 'utf8')
}
