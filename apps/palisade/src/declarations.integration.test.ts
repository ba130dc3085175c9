import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { copyDeclarations, type DeclarationsCopy } from '@palisade/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

// Every app as users run it, on a copy of the repository's declarations with one file broken: it
// must exit before it opens the store (no `<PALISADE_DATA_DIR>/clickhouse`) or a consumer, naming
// the file and the line.

const launcher = fileURLToPath(new URL('../bin/palisade.mjs', import.meta.url))

let copy: DeclarationsCopy
beforeEach(() => {
  copy = copyDeclarations()
})
afterEach(() => copy.remove())
const breakFile = (relative: string, from: string, to: string) => copy.breakFile(relative, from, to)

function palisade(command: string) {
  const run = spawnSync(process.execPath, [launcher, command], {
    env: {
      ...process.env,
      PALISADE_ALERTS_DIR: join(copy.root, 'alerts'),
      PALISADE_DASHBOARDS_DIR: join(copy.root, 'dashboards'),
      PALISADE_DATA_DIR: join(copy.root, 'data'),
      // What the standalone apps require, so that only the declarations are wrong. Nothing listens
      // there: an app that got as far as connecting would hang or fail differently.
      KAFKA_BROKERS: '127.0.0.1:1',
      PALISADE_TOKEN: 'declarations-test-token',
      PALISADE_PAGERDUTY_ROUTING_KEY: 'unused',
      PALISADE_TICKET_WEBHOOK_URL: 'http://127.0.0.1:1/ticket',
    },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { code: run.status, stderr: run.stderr }
}

function expectRefused(command: string, file: string, line: number, what: string): void {
  const run = palisade(command)
  expect(run.stderr).toContain('invalid declarations (1 problem)')
  expect(run.stderr).toContain(`${file}:${line}: ${what}`)
  expect(run.code).toBe(2)
  expect(existsSync(join(copy.root, 'data', 'clickhouse'))).toBe(false)
}

describe('palisade start with a broken declaration', () => {
  it('refuses a broken routing file, naming its file and line', () => {
    const { file, line } = breakFile('alerts/routing.yaml', 'group_wait: 30s', 'group_wait: soon')
    expectRefused('start', file, line, 'route.group_wait must be a duration')
  })

  it('refuses a broken rule file, naming its file and line', () => {
    const { file, line } = breakFile('alerts/rules/mtls.yaml', 'severity: page', 'severity: urgent')
    expectRefused('start', file, line, 'rules[')
  })

  it('refuses a broken intent file, naming its file and line', () => {
    const { file, line } = breakFile('alerts/intent/palisade.yaml', '\nspec:\n', '\nspec:\n  egres: []\n')
    expectRefused('start', file, line + 2, '#1 (PalisadeIntent')
  })

  it('refuses a broken SLO file, naming its file and line', () => {
    const { file, line } = breakFile('alerts/slos/auth-success.yaml', 'target: 0.999', 'target: 1.5')
    expectRefused('start', file, line, 'document 1, spec.objectives[0].target')
  })

  it('refuses a broken risk file, naming its file and line', () => {
    const { file, line } = breakFile('alerts/risk.yaml', 'half_life: 6h', 'half_life: 6 h')
    expectRefused('start', file, line, 'half_life: bad duration')
  })

  it('refuses a broken dashboard, naming its file and line', () => {
    const { file, line } = breakFile('dashboards/oncall.json', '"refreshSeconds": 30', '"refreshSeconds": 1')
    expectRefused('start', file, line, 'refreshSeconds: ')
  })
})

describe('every standalone app with a broken rule file', () => {
  for (const app of ['collector', 'ingester', 'detector', 'alert-router', 'dashboard']) {
    it(`${app} exits before it opens the store or a consumer, naming the file and line`, () => {
      const { file, line } = breakFile(
        'alerts/rules/lateral.yaml',
        'learning_period: 6h',
        'learning_period: 6 hours',
      )
      expectRefused(app, file, line, 'rules[0] (lateral.new_edge).params.learning_period: bad duration')
    })
  }
})
