import { fileURLToPath } from 'node:url'
import { detectorCatalog } from '@palisade/detectors'
import { describe, expect, it } from 'vitest'
import { fixtureReader, readRuleSources } from './rule-files.ts'
import { compileRules, formatRuleProblem } from './rule-set.ts'
import { runRuleTests } from './rule-tests.ts'

// The repository's rules, `alerts/rules/*.yaml`: they lint clean and every inline test passes.
// This is what `palisade rules test` runs, so `npm test` fails on a broken rule.
const root = fileURLToPath(new URL('../../../', import.meta.url))
const sources = await readRuleSources(`${root}alerts/rules`, root)
const { rules, problems } = compileRules(sources, detectorCatalog)

describe('alerts/rules', () => {
  it('lint clean', () => {
    expect(problems.map(formatRuleProblem)).toEqual([])
  })

  it('cover every detector type in the catalog at least once', () => {
    const used = new Set(rules.map((rule) => rule.declaration.detector))
    // Hunt rules come from analysts' saved hunts, and their tests need the engine: the hunt type is
    // covered by apps/palisade/src/hunt-rules.integration.test.ts.
    const streaming = detectorCatalog.filter((type) => type.name !== 'hunt')
    expect(streaming.map((type) => type.name).filter((name) => !used.has(name))).toEqual([])
  })

  for (const rule of rules) {
    describe(rule.declaration.id, () => {
      for (const result of runRuleTests(rule, fixtureReader(root))) {
        it(result.test, () => {
          expect(result.failures).toEqual([])
        })
      }
    })
  }
})
