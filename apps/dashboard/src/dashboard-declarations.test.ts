import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDashboardQueryName } from '@palisade/clickhouse'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultDashboardsDir } from './dashboard-app.ts'
import { loadDashboards } from './dashboard-declarations.ts'
import { DashboardInvalidError } from './errors.ts'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-dashboards-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const panel = { id: 'p', title: 'P', type: 'incidents', query: 'active_incidents', layout: { columns: 4 } }
const write = (file: string, value: unknown) => writeFileSync(join(dir, file), JSON.stringify(value))

function problems(): string[] {
  try {
    loadDashboards(dir, isDashboardQueryName)
  } catch (error) {
    if (error instanceof DashboardInvalidError) return error.problems
    throw error
  }
  return []
}

describe('dashboard declarations', () => {
  it('loads the repository dashboards, every panel naming a registered query', () => {
    const dashboards = loadDashboards(defaultDashboardsDir, isDashboardQueryName)
    expect([...dashboards.keys()].sort()).toEqual(['executive', 'oncall'])
    expect(dashboards.get('oncall')?.panels.length).toBeGreaterThanOrEqual(6)
  })

  it('fills defaults: 6h range, 60 s refresh, 2 rows', () => {
    write('ops.json', { id: 'ops', title: 'Ops', panels: [panel] })
    const ops = loadDashboards(dir, isDashboardQueryName).get('ops')
    expect(ops).toMatchObject({
      defaultRange: '6h',
      refreshSeconds: 60,
      panels: [{ layout: { columns: 4, rows: 2 } }],
    })
  })

  it('reports every problem of every file at once', () => {
    write('a.json', { id: 'a', title: 'A', panels: [{ ...panel, query: 'nope' }, panel, panel] })
    write('b.json', { id: 'not-b', title: 'B', panels: [{ ...panel, type: 'pie' }] })
    writeFileSync(join(dir, 'c.json'), '{')
    write('d.json', {
      id: 'd',
      title: 'D',
      panels: [{ ...panel, type: 'service-graph', query: 'service_graph', highlightQuery: 'made_up' }],
    })
    const found = problems()
    expect(found).toEqual(
      expect.arrayContaining([
        'a.json: panels.0: unknown query "nope"',
        'a.json: panels.2: duplicate panel id "p"',
        expect.stringMatching(/^b\.json: panels\.0\.type: /),
        expect.stringMatching(/^c\.json: not JSON/),
        'd.json: panels.0: unknown query "made_up"',
      ]),
    )
  })

  it('refuses unknown fields, so a typo is not silently ignored', () => {
    write('x.json', { id: 'x', title: 'X', panels: [{ ...panel, qurey: 'active_incidents' }] })
    expect(problems().join('\n')).toContain('qurey')
  })

  it('refuses an empty folder', () => {
    expect(problems()).toEqual([`no dashboards (*.json) in ${dir}`])
  })
})
