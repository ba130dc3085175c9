import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatDeclarationProblem } from './declaration-problem.ts'
import { readRisk } from './read-risk.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-risk-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('readRisk', () => {
  it('reads the repository risk.yaml', () => {
    const { risk, problems } = readRisk(fileURLToPath(new URL('../../../alerts/risk.yaml', import.meta.url)))
    expect(problems).toEqual([])
    expect(risk?.threshold).toBeGreaterThan(0)
  })

  it('reports unknown fields and bad durations with their lines', () => {
    const file = join(dir, 'risk.yaml')
    writeFileSync(
      file,
      'threshold: 1\nhalf_life: 6 h\nseverity_weights: {page: 1, ticket: 1, info: 0}\nrunbook_url: https://x.example\nweight: 3\n',
    )
    expect(readRisk(file).problems.map(formatDeclarationProblem)).toEqual([
      `${file}:2: half_life: bad duration '6 h': write a positive number and a unit, such as 30s, 10m, 1h or 7d`,
      `${file}:5: weight: unknown field 'weight'`,
    ])
  })
})
