import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadDashboards, readDashboards } from './dashboards.ts'
import { formatDeclarationProblem } from './declaration-problem.ts'

const repoDashboards = fileURLToPath(new URL('../../../dashboards', import.meta.url))

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-dashboards-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const panel = { id: 'p', title: 'P', type: 'incidents', query: 'active_incidents', layout: { columns: 4 } }
// Pretty-printed, as a person writes them, so that each problem's line means something.
const write = (file: string, value: unknown) => writeFileSync(join(dir, file), JSON.stringify(value, null, 2))

/** Problems as `file:line: what`, the file relative to the test folder. */
function problems(): string[] {
  return readDashboards(dir).problems.map((problem) =>
    formatDeclarationProblem(problem).replace(`${dir}/`, ''),
  )
}

describe('dashboard declarations', () => {
  it('loads the repository dashboards, every panel naming a registered query', () => {
    const dashboards = loadDashboards(repoDashboards)
    expect([...dashboards.keys()].sort()).toEqual(['debug', 'executive', 'oncall', 'slos'])
    expect(dashboards.get('oncall')?.panels.length).toBeGreaterThanOrEqual(6)
    // The seeds' debug dashboard has 7 panels and the executive one 8 (here split into more).
    expect(dashboards.get('debug')?.panels.map((p) => p.id)).toHaveLength(7)
    expect(dashboards.get('executive')?.panels.length).toBeGreaterThanOrEqual(11)
  })

  it('fills defaults: 6h range, 60 s refresh, 2 rows', () => {
    write('ops.json', { id: 'ops', title: 'Ops', panels: [panel] })
    const ops = loadDashboards(dir).get('ops')
    expect(ops).toMatchObject({
      defaultRange: '6h',
      refreshSeconds: 60,
      panels: [{ layout: { columns: 4, rows: 2 } }],
    })
  })

  it('reports every problem of every file at once, each with its line', () => {
    write('a.json', { id: 'a', title: 'A', panels: [{ ...panel, query: 'nope' }, panel, panel] })
    write('b.json', { id: 'not-b', title: 'B', panels: [{ ...panel, type: 'pie' }] })
    writeFileSync(join(dir, 'c.json'), '{')
    write('d.json', {
      id: 'd',
      title: 'D',
      panels: [{ ...panel, type: 'service-graph', query: 'service_graph', highlightQuery: 'made_up' }],
    })
    expect(problems()).toEqual([
      'a.json:9: panels.0.query: unknown query "nope"',
      'a.json:15: panels.1.id: duplicate panel id "p"',
      'a.json:24: panels.2.id: duplicate panel id "p"',
      expect.stringMatching(/^b\.json:8: panels\.0\.type: Invalid discriminator value/),
      expect.stringMatching(/^c\.json:1: not JSON/),
      'd.json:13: panels.0.highlightQuery: unknown query "made_up"',
    ])
  })

  it('takes a baseline band for one of the series, and refuses one for a field no series draws', () => {
    const series = {
      ...panel,
      type: 'timeseries',
      query: 'deny_ratio_series',
      unit: 'ratio',
      series: [{ field: 'deny_ratio', label: 'deny ratio' }],
    }
    write('ok.json', { id: 'ok', title: 'OK', panels: [{ ...series, baseline: { field: 'deny_ratio' } }] })
    write('bad.json', {
      id: 'bad',
      title: 'Bad',
      panels: [{ ...series, baseline: { field: 'error_count' } }],
    })
    expect(problems()).toEqual([
      expect.stringMatching(/^bad\.json:\d+: panels\.0\.baseline\.field: "error_count" is none/),
    ])
    rmSync(join(dir, 'bad.json'))
    expect(loadDashboards(dir).get('ok')?.panels[0]).toMatchObject({
      baseline: { field: 'deny_ratio', days: 7 },
    })
  })

  it('refuses unknown fields, so a typo is not silently ignored', () => {
    write('x.json', { id: 'x', title: 'X', panels: [{ ...panel, qurey: 'active_incidents' }] })
    expect(problems().join('\n')).toContain('qurey')
  })

  it('refuses an empty folder', () => {
    expect(problems()).toEqual([`${dir}: no dashboards (*.json) in this folder`])
  })
})
