import { readFileSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import type { KindedEvent } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { type AnyEvent, type EventKind, validateEvent } from '@palisade/schema'
import { RuleTestInvalidError } from './errors.ts'
import type { RuleSource } from './rule-set.ts'
import type { FixtureReader } from './rule-tests.ts'

/** Every `*.yaml`/`*.yml` rule file of a folder (not recursive), paths relative to `base`. */
export async function readRuleSources(dir: string, base = process.cwd()): Promise<RuleSource[]> {
  const names = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort()
  return Promise.all(
    names.map(async (name) => ({
      path: relative(base, join(dir, name)) || name,
      text: await readFile(join(dir, name), 'utf8'),
    })),
  )
}

/**
 * Reads a rule test's fixture (relative to its rule file) through the real format parser, and
 * validates each record as the collector does: a record the parser or schema rejects fails the test.
 */
export function fixtureReader(base = process.cwd()): FixtureReader {
  return (ruleFile, fixture, tenant) => {
    const parser = formatParsers.get(fixture.format)
    if (!parser)
      throw new RuleTestInvalidError(
        `unknown fixture format '${fixture.format}'; known: ${[...formatParsers.keys()].join(', ')}`,
      )
    const path = resolve(base, dirname(ruleFile), fixture.path)
    const result = parser.parse(readFileSync(path, 'utf8'), fixture.options ?? {})
    if (result.rejected.length > 0)
      throw new RuleTestInvalidError(
        `fixture ${fixture.path}: ${result.rejected.length} record(s) rejected, first: ${result.rejected[0]!.reason}`,
      )
    return result.records.map((record) => {
      const validated = validateEvent(record.kind as EventKind, record.event, { tenant, observedAt: 0 })
      if (!validated.ok)
        throw new RuleTestInvalidError(`fixture ${fixture.path} line ${record.line}: ${validated.reason}`)
      return { kind: record.kind as EventKind, event: validated.event as AnyEvent } satisfies KindedEvent
    })
  }
}
