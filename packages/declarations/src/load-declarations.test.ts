import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { copyDeclarations, type DeclarationsCopy } from '@palisade/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatDeclarationProblem } from './declaration-problem.ts'
import { DeclarationsInvalidError } from './errors.ts'
import { loadDeclarations } from './load-declarations.ts'

// A copy of the repository's declarations per test, so that one file can be broken at a time.
let copy: DeclarationsCopy
beforeEach(() => {
  copy = copyDeclarations()
})
afterEach(() => copy.remove())
const dirs = () => copy.dirs
const breakFile = (relative: string, from: string, to: string) => copy.breakFile(relative, from, to)

async function problemsOf(): Promise<string[]> {
  const error = await loadDeclarations(dirs()).catch((caught: unknown) => caught)
  expect(error).toBeInstanceOf(DeclarationsInvalidError)
  return (error as DeclarationsInvalidError).problems.map(formatDeclarationProblem)
}

describe('loadDeclarations', () => {
  it('reads the repository declarations: routing, enabled rules, intent, risk, SLOs, dashboards', async () => {
    const declarations = await loadDeclarations(dirs())
    expect(declarations.routing.receivers.map((receiver) => receiver.name)).toContain('pagerduty')
    expect(declarations.rules.map((rule) => rule.declaration.id)).toContain('lateral.new_edge')
    expect(declarations.intent.sources.length).toBeGreaterThan(0)
    expect(declarations.risk.threshold).toBeGreaterThan(0)
    expect(declarations.slos.map((slo) => slo.name)).toContain('auth-success')
    expect([...declarations.dashboards.keys()].sort()).toEqual(['debug', 'executive', 'oncall', 'slos'])
  })

  it('names the file and line of a broken routing file', async () => {
    const { file, line } = breakFile('alerts/routing.yaml', 'group_wait: 30s', 'group_wait: soon')
    expect(await problemsOf()).toEqual([
      expect.stringMatching(new RegExp(`^${file}:${line}: route\\.group_wait `)),
    ])
  })

  it('names the file and line of a broken noise budget', async () => {
    const { file, line } = breakFile('alerts/routing.yaml', 'per_hour: 10', 'per_hour: lots')
    expect(await problemsOf()).toEqual([
      expect.stringMatching(new RegExp(`^${file}:${line}: noise_budget\\.per_hour `)),
    ])
  })

  it('names the file and line of a broken rule file', async () => {
    const { file, line } = breakFile(
      'alerts/rules/lateral.yaml',
      'learning_period: 6h',
      'learning_period: 6 hours',
    )
    expect(await problemsOf()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${file}:${line}: rules\\[0\\] \\(lateral\\.new_edge\\)\\.params\\.learning_period: bad duration`,
        ),
      ),
    ])
  })

  it('names the file and line of a broken intent file', async () => {
    const { file, line } = breakFile('alerts/intent/palisade.yaml', '\nspec:\n', '\nspec:\n  egres: []\n')
    expect(await problemsOf()).toEqual([
      expect.stringMatching(new RegExp(`^${file}:${line + 2}: #1 .*spec\\.egres: unknown field`)),
    ])
  })

  it('names the file and line of a broken SLO file', async () => {
    const { file, line } = breakFile('alerts/slos/auth-success.yaml', 'target: 0.999', 'target: 1.5')
    expect(await problemsOf()).toEqual([
      `${file}:${line}: document 1, spec.objectives[0].target: must be a number strictly between 0 and 1, got 1.5`,
    ])
  })

  it('names the file and line of a broken risk file', async () => {
    const { file, line } = breakFile('alerts/risk.yaml', 'half_life: 6h', 'half_life: 6 h')
    expect(await problemsOf()).toEqual([
      expect.stringMatching(new RegExp(`^${file}:${line}: half_life: bad duration`)),
    ])
  })

  it('names the file and line of a broken dashboard', async () => {
    const { file, line } = breakFile('dashboards/oncall.json', '"refreshSeconds": 30', '"refreshSeconds": 1')
    expect(await problemsOf()).toEqual([
      expect.stringMatching(new RegExp(`^${file}:${line}: refreshSeconds: `)),
    ])
  })

  it('reports the problems of every kind of file at once', async () => {
    breakFile('alerts/routing.yaml', 'group_wait: 30s', 'group_wait: soon')
    breakFile('alerts/rules/lateral.yaml', 'learning_period: 6h', 'learning_period: 6 hours')
    breakFile('alerts/slos/auth-success.yaml', 'target: 0.999', 'target: 1.5')
    breakFile('dashboards/oncall.json', '"refreshSeconds": 30', '"refreshSeconds": 1')
    const files = (await problemsOf()).map((problem) => problem.split(':')[0]!.slice(copy.root.length + 1))
    expect(files).toEqual([
      'alerts/routing.yaml',
      'alerts/rules/lateral.yaml',
      'alerts/slos/auth-success.yaml',
      'dashboards/oncall.json',
    ])
  })

  it('names a declarations folder that is missing', async () => {
    rmSync(join(copy.root, 'alerts', 'slos'), { recursive: true })
    expect(await problemsOf()).toEqual([
      expect.stringMatching(new RegExp(`^${join(copy.root, 'alerts', 'slos')}: `)),
    ])
  })
})
