import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDashboardRoutes, defaultDashboardsDir } from '@palisade/dashboard'
import { loadDashboards } from '@palisade/declarations'
import { type DashboardTestServer, startDashboardTestServer, testTokens } from '@palisade/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CliUsageError } from './cli-args.ts'
import { exportFindings, parseFindingsExportArgs } from './findings-export.ts'
import { parseRulesNoiseArgs, reportRuleNoise } from './rules-noise.ts'

let server: DashboardTestServer
const dir = mkdtempSync(join(tmpdir(), 'palisade-export-'))
beforeAll(async () => {
  server = await startDashboardTestServer((store) =>
    createDashboardRoutes({ ...store, dashboards: loadDashboards(defaultDashboardsDir) }),
  )
}, 120_000)
afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('palisade findings export', () => {
  it('writes every finding of the tenant through the real API, page by page, each once', async () => {
    const out = join(dir, 'all.ndjson')
    const args = parseFindingsExportArgs(['export', '--out', out, '--from', 'now-30d'])
    const count = await exportFindings({ apiUrl: server.base, token: testTokens.acme, args, pageSize: 2 })
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    const findings = lines.map(
      (line) => JSON.parse(line) as { finding_id: string; tenant: string; ts: number },
    )
    expect(findings.length).toBe(count)
    expect(count).toBeGreaterThan(2)
    expect(new Set(findings.map((f) => f.finding_id)).size).toBe(count)
    expect(new Set(findings.map((f) => f.tenant))).toEqual(new Set(['acme']))
    expect(findings[0]).toHaveProperty('summary')
    expect(findings[0]).toHaveProperty('evidence')
    // Newest first, as the API lists them.
    expect(findings.map((f) => f.ts)).toEqual([...findings.map((f) => f.ts)].sort((a, b) => b - a))
  })

  it('filters by severity and rule, and writes a JSON array on request', async () => {
    const out = join(dir, 'pages.json')
    const args = parseFindingsExportArgs([
      'export',
      '-o',
      out,
      '--from',
      'now-30d',
      '--severity',
      'page',
      '--format',
      'json',
    ])
    const count = await exportFindings({ apiUrl: server.base, token: testTokens.acme, args })
    const findings = JSON.parse(readFileSync(out, 'utf8')) as { severity: string }[]
    expect(findings).toHaveLength(count)
    expect(count).toBeGreaterThan(0)
    expect(new Set(findings.map((f) => f.severity))).toEqual(new Set(['page']))
  })

  it('says why when the API refuses, and when the arguments are wrong', async () => {
    const args = parseFindingsExportArgs(['export', '--out', join(dir, 'x.ndjson'), '--severity', 'urgent'])
    await expect(exportFindings({ apiUrl: server.base, token: testTokens.acme, args })).rejects.toThrow(/400/)
    await expect(
      exportFindings({
        apiUrl: server.base,
        token: 'wrong-token-0000000000',
        args: parseFindingsExportArgs(['export', '--out', join(dir, 'y')]),
      }),
    ).rejects.toThrow(/401/)
    expect(() => parseFindingsExportArgs(['export'])).toThrow(CliUsageError)
    expect(() => parseFindingsExportArgs(['export', '--out', 'f', '--format', 'csv'])).toThrow(
      /ndjson or json/,
    )
  })

  it('reports findings per rule per day through the same API (palisade rules noise)', async () => {
    const args = parseRulesNoiseArgs(['--from', 'now-30d'])
    const text = await reportRuleNoise({ apiUrl: server.base, token: testTokens.acme, args, pageSize: 2 })
    const exported = join(dir, 'for-noise.ndjson')
    const count = await exportFindings({
      apiUrl: server.base,
      token: testTokens.acme,
      args: parseFindingsExportArgs(['export', '--out', exported, '--from', 'now-30d']),
    })
    expect(text).toMatch(/^rule +day +findings +peak\/h +top keys/)
    expect(text).toContain(`${count} findings from`)
  })
})
