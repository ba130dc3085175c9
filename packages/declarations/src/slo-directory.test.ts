import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SloInvalidError, SloLoadError } from '@palisade/slo'
import { afterEach, describe, expect, it } from 'vitest'
import { loadSloDirectory } from './slo-directory.ts'

const repoSlos = fileURLToPath(new URL('../../../alerts/slos', import.meta.url))

const slo = (name: string, target = '0.999') => `apiVersion: openslo/v1
kind: SLO
metadata: { name: ${name} }
spec:
  service: identity
  budgetingMethod: Occurrences
  timeWindow: [{ duration: 30d, isRolling: true }]
  objectives: [{ target: ${target} }]
  indicator:
    spec:
      ratioMetric:
        counter: true
        bad: { metricSource: { type: Palisade, spec: { rollup: auth, column: system_failures } } }
        total: { metricSource: { type: Palisade, spec: { rollup: auth, column: attempts } } }
`

let dirs: string[] = []
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-slos-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs = []
})

describe('loadSloDirectory', () => {
  it('loads the SLOs of the repository with their objectives and ratios', async () => {
    const slos = await loadSloDirectory(repoSlos)
    expect(
      slos.map((s) => [
        s.name,
        s.objective,
        s.window,
        s.indicator.rollup,
        s.indicator.bad,
        s.indicator.total,
      ]),
    ).toEqual([
      ['auth-success', 0.999, '30d', 'auth', { system_failures: 1 }, { attempts: 1 }],
      ['decision-availability', 0.9995, '30d', 'decision', { errors: 1 }, { decisions: 1 }],
      [
        'decision-cache-hit',
        0.9,
        '30d',
        'decision_sli',
        { cache_lookups: 1, cache_hits: -1 },
        { cache_lookups: 1 },
      ],
      ['decision-latency', 0.95, '30d', 'decision_sli', { timed: 1, under_50ms: -1 }, { timed: 1 }],
      ['deny-ratio', 0.99, '30d', 'decision', { denies: 1 }, { decisions: 1 }],
      ['egress-block-rate', 0.9, '30d', 'egress', { attempts: 1, blocked: -1 }, { attempts: 1 }],
      ['false-deny-rate', 0.9995, '30d', 'decision_sli', { false_denies: 1 }, { allows: 1 }],
      ['mtls-handshake', 0.9995, '30d', 'mtls', { failures: 1 }, { handshakes: 1 }],
      ['policy-drift', 0.999, '7d', 'policy_change', { out_of_band: 1 }, { changes: 1 }],
      ['policy-rollout-errors', 0.995, '30d', 'policy_change', { failed_rollouts: 1 }, { rollouts: 1 }],
      ['posture-mismatch', 0.995, '30d', 'posture', { failures: 1 }, { checks: 1 }],
      [
        'telemetry-completeness-decisions',
        0.95,
        '30d',
        'decision_sli',
        { decisions: 1, with_request_id: -1 },
        { decisions: 1 },
      ],
      [
        'telemetry-completeness-flows',
        0.95,
        '30d',
        'flow_sli',
        { flows: 1, with_identity: -1 },
        { flows: 1 },
      ],
      ['time-to-detect', 0.99, '30d', 'finding', { findings: 1, within_60s: -1 }, { findings: 1 }],
      ['time-to-revoke', 0.99, '30d', 'revoked_use', { uses_after_5m: 1 }, { uses_after_revoke: 1 }],
      ['token-refresh', 0.999, '30d', 'token', { failed_refreshes: 1 }, { refreshes: 1 }],
      ['unauthorized-attempts', 0.999, '30d', 'auth', { user_failures: 1 }, { attempts: 1 }],
    ])
  })

  it('reads .yaml and .yml files in name order and ignores other files', async () => {
    const dir = folder({ 'b.yml': slo('second'), 'a.yaml': slo('first'), 'README.md': '# not an SLO' })
    expect((await loadSloDirectory(dir)).map((s) => s.name)).toEqual(['first', 'second'])
  })

  it('lists the problems of every file at once, names used twice across files included', async () => {
    const dir = folder({ 'a.yaml': slo('auth'), 'b.yaml': slo('auth'), 'c.yaml': slo('other', '1.5') })
    const error = await loadSloDirectory(dir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SloInvalidError)
    expect(
      (error as SloInvalidError).problems.map((p) => [p.source.slice(dir.length + 1), p.path, p.message]),
    ).toEqual([
      ['b.yaml', 'metadata.name', `SLO "auth" is already defined in ${join(dir, 'a.yaml')} (document 1)`],
      ['c.yaml', 'spec.objectives[0].target', 'must be a number strictly between 0 and 1, got 1.5'],
    ])
  })

  it('fails with SloLoadError when the folder cannot be read', async () => {
    await expect(loadSloDirectory(join(tmpdir(), 'palisade-no-such-dir'))).rejects.toBeInstanceOf(
      SloLoadError,
    )
  })
})
