import { describe, expect, it } from 'vitest'
import { SloError, SloInvalidError, type SloProblem } from './errors.ts'
import { parseOpenSlo } from './openslo-parser.ts'

const authSlo = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: auth-success
  displayName: Auth success
spec:
  service: identity
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 30d
      isRolling: true
  objectives:
    - target: 0.999
  indicator:
    metadata:
      name: auth-system-failures
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Palisade
            spec:
              rollup: auth
              column: system_failures
        total:
          metricSource:
            type: Palisade
            spec:
              rollup: auth
              column: attempts
`

function problemsOf(text: string): SloProblem[] {
  try {
    parseOpenSlo(text, { source: 'slos/test.yaml' })
  } catch (error) {
    if (error instanceof SloInvalidError) return [...error.problems]
    throw error
  }
  throw new Error('expected the text to be invalid')
}

describe('parseOpenSlo', () => {
  it('reads a bad/total SLO into counter weights with the default runbook', () => {
    const [slo, ...rest] = parseOpenSlo(authSlo, { source: 'auth.yaml' })
    expect(rest).toEqual([])
    expect(slo).toEqual({
      name: 'auth-success',
      displayName: 'Auth success',
      service: 'identity',
      objective: 0.999,
      window: '30d',
      windowMs: 30 * 86_400_000,
      indicator: { rollup: 'auth', bad: { system_failures: 1 }, total: { attempts: 1 }, declared: 'bad' },
      runbookUrl: 'https://runbooks.palisade.dev/slo/auth-success',
      origin: { source: 'auth.yaml', document: 1 },
    })
  })

  it('turns a good counter into bad = total - good', () => {
    const text = authSlo.replace('bad:', 'good:').replace('system_failures', 'successes')
    const [slo] = parseOpenSlo(text)
    expect(slo?.indicator).toEqual({
      rollup: 'auth',
      bad: { attempts: 1, successes: -1 },
      total: { attempts: 1 },
      declared: 'good',
    })
  })

  it('reads an expression of counters joined by + and -', () => {
    const text = authSlo.replace('column: attempts', 'expression: attempts - user_failures')
    expect(parseOpenSlo(text)[0]?.indicator.total).toEqual({ attempts: 1, user_failures: -1 })
  })

  it('reads several documents, skips empty ones and keeps their order', () => {
    const second = authSlo
      .replace('name: auth-success', 'name: auth-success-strict')
      .replace('0.999', '0.9995')
    const slos = parseOpenSlo(`${authSlo}---\n---\n${second}`)
    expect(slos.map((slo) => [slo.name, slo.objective, slo.origin.document])).toEqual([
      ['auth-success', 0.999, 1],
      ['auth-success-strict', 0.9995, 3],
    ])
  })

  it('takes the runbook from the palisade.dev/runbook annotation and the display name from the name', () => {
    const text = authSlo.replace(
      '  displayName: Auth success\n',
      '  annotations:\n    palisade.dev/runbook: https://wiki.acme.io/auth\n',
    )
    const [slo] = parseOpenSlo(text)
    expect(slo?.runbookUrl).toBe('https://wiki.acme.io/auth')
    expect(slo?.displayName).toBe('auth-success')
  })

  it('accepts targetPercent as a percentage', () => {
    expect(parseOpenSlo(authSlo.replace('target: 0.999', 'targetPercent: 99.9'))[0]?.objective).toBeCloseTo(
      0.999,
      12,
    )
  })

  it('keeps a service filter that both sides of the ratio share', () => {
    const text = authSlo.replaceAll('rollup: auth', 'rollup: auth\n              service: sso')
    expect(parseOpenSlo(text)[0]?.indicator.service).toBe('sso')
  })

  it('lists every problem of a document at once, each with its path and line', () => {
    const text = authSlo
      .replace('name: auth-success', 'name: Auth_Success')
      .replace('budgetingMethod: Occurrences', 'budgetingMethod: RatioTimeslices')
      .replace('duration: 30d', 'duration: 30 days')
      .replace('target: 0.999', 'taget: 0.999')
      .replace('column: system_failures', 'column: wrong_password')
    const problems = problemsOf(text)
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ['metadata.name', 4],
      ['spec.budgetingMethod', 8],
      ['spec.timeWindow[0].duration', 10],
      ['spec.objectives[0].taget', 13],
      ['spec.objectives[0].target', 13],
      ['spec.indicator.spec.ratioMetric.bad.metricSource.spec.column', 25],
    ])
    expect(problems.every((p) => p.source === 'slos/test.yaml' && p.document === 1)).toBe(true)
    expect(problems[5]?.message).toBe(
      'unknown counter "wrong_password" of rollup auth (known: attempts, successes, user_failures, system_failures)',
    )
  })

  it('says which document a problem is in', () => {
    const broken = authSlo
      .replace('name: auth-success', 'name: other')
      .replace(
        'rollup: auth\n              column: attempts',
        'rollup: mtls\n              column: handshakes',
      )
    const problems = problemsOf(`${authSlo}---\n${broken}`)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({
      document: 2,
      path: 'spec.indicator.spec.ratioMetric.total.metricSource.spec.rollup',
      message: 'must be the rollup of "bad" (auth): a ratio reads one rollup',
    })
  })

  it('refuses a service filter on one side of the ratio only', () => {
    const text = authSlo.replace(
      'rollup: auth\n              column: attempts',
      'rollup: auth\n              service: sso\n              column: attempts',
    )
    expect(problemsOf(text).map((p) => p.message)).toEqual([
      'must be the same service filter as "bad" (none), got sso',
    ])
  })

  it('refuses an SLO with both good and bad, or neither', () => {
    const both = authSlo.replace(
      '        total:',
      '        good:\n          metricSource:\n            type: Palisade\n            spec: { rollup: auth, column: successes }\n        total:',
    )
    expect(problemsOf(both).map((p) => p.message)).toContain(
      'needs exactly one of "good" or "bad", and "total"',
    )
  })

  it('refuses unknown rollups, unsupported fields and other kinds', () => {
    expect(problemsOf(authSlo.replaceAll('rollup: auth', 'rollup: http')).map((p) => p.message)).toEqual([
      'unknown rollup "http" (known: auth, mtls, decision, flow, decision_sli, policy_change, flow_sli, egress, finding, token, revoked_use, posture)',
      'unknown rollup "http" (known: auth, mtls, decision, flow, decision_sli, policy_change, flow_sli, egress, finding, token, revoked_use, posture)',
    ])
    expect(
      problemsOf(authSlo.replace('  indicator:', '  alertPolicies: [fast-burn]\n  indicator:')).map((p) => [
        p.path,
        p.message,
      ]),
    ).toEqual([['spec.alertPolicies[0]', 'must be a mapping']])
    expect(problemsOf(authSlo.replace('kind: SLO', 'kind: Slo'))[0]?.message).toBe(
      'unknown kind "Slo" (expected one of: SLO, SLI, Service, AlertPolicy, AlertCondition, AlertNotificationTarget)',
    )
  })

  it('refuses targets outside (0, 1), calendar windows and bad runbook URLs', () => {
    expect(problemsOf(authSlo.replace('target: 0.999', 'target: 99.9'))[0]?.message).toBe(
      'must be a number strictly between 0 and 1, got 99.9',
    )
    expect(problemsOf(authSlo.replace('isRolling: true', 'isRolling: false'))[0]?.path).toBe(
      'spec.timeWindow[0].isRolling',
    )
    const runbook = authSlo.replace(
      '  displayName: Auth success\n',
      '  annotations: { palisade.dev/runbook: "see wiki" }\n',
    )
    expect(problemsOf(runbook)[0]?.message).toBe('must be an http(s) URL, got "see wiki"')
  })

  it('reports missing required fields at their parent', () => {
    const problems = problemsOf(
      'apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: x\nspec:\n  service: s\n',
    )
    expect(problems.map((p) => [p.path, p.message, p.line])).toEqual([
      [
        'spec.budgetingMethod',
        'is required: Occurrences (good events over all events) or Timeslices (good slices over all slices)',
        6,
      ],
      ['spec.timeWindow', 'is required', 6],
      ['spec.objectives', 'is required', 6],
      ['spec', 'needs exactly one of "indicator" (an inline SLI) or "indicatorRef" (the name of an SLI)', 6],
    ])
  })

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x\n')
    expect(problems.length).toBeGreaterThan(0)
    expect(problems[0]).toMatchObject({ source: 'slos/test.yaml', document: 1, path: '' })
    expect(problems[0]?.line).toBeGreaterThanOrEqual(3)
    expect(problems[0]?.message).toMatch(/^YAML: /)
  })

  it('refuses the same SLO name twice in a file', () => {
    const problems = problemsOf(`${authSlo}---\n${authSlo}`)
    expect(problems).toEqual([
      expect.objectContaining({
        document: 2,
        path: 'metadata.name',
        message: 'SLO "auth-success" is already defined in slos/test.yaml (document 1)',
      }),
    ])
  })

  it('throws an error with a stable code, not retriable, whose message lists every problem', () => {
    const text = authSlo.replace('target: 0.999', 'target: 2').replace('duration: 30d', 'duration: 30s')
    try {
      parseOpenSlo(text, { source: 'a.yaml' })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(SloError)
      expect(error).toMatchObject({ code: 'SLO_INVALID', retriable: false, name: 'SloInvalidError' })
      expect((error as Error).message).toBe(
        'invalid SLO definitions (2 problems):\n' +
          '  - a.yaml:10:17 (document 1, spec.timeWindow[0].duration): "30s" is not a window such as 28d, 30d or 4w (whole m, h, d or w)\n' +
          '  - a.yaml:13:15 (document 1, spec.objectives[0].target): must be a number strictly between 0 and 1, got 2',
      )
    }
  })

  it('reads Timeslices budgeting: the slice window (a window or minutes) and the slice target', () => {
    const sliced = (objective: string) =>
      authSlo
        .replace('budgetingMethod: Occurrences', 'budgetingMethod: Timeslices')
        .replace('    - target: 0.999', objective)
    const [slo] = parseOpenSlo(
      sliced('    - target: 0.999\n      timeSliceTarget: 0.95\n      timeSliceWindow: 5m'),
    )
    expect(slo?.timeSlice).toEqual({ window: '5m', windowMs: 300_000, target: 0.95 })
    // The spec allows a bare number of minutes.
    const [minutes] = parseOpenSlo(
      sliced('    - target: 0.999\n      timeSliceTarget: 1\n      timeSliceWindow: 2'),
    )
    expect(minutes?.timeSlice).toEqual({ window: '2m', windowMs: 120_000, target: 1 })
    expect(parseOpenSlo(authSlo)[0]?.timeSlice).toBeUndefined()
    expect(problemsOf(sliced('    - target: 0.999')).map((p) => [p.path, p.message])).toEqual([
      ['spec.objectives[0].timeSliceWindow', 'is required with Timeslices, e.g. 1m or 5m'],
      [
        'spec.objectives[0].timeSliceTarget',
        'is required with Timeslices: the fraction good a slice needs, e.g. 0.99',
      ],
    ])
    expect(
      problemsOf(sliced('    - target: 0.999\n      timeSliceTarget: 0\n      timeSliceWindow: 30s')).map(
        (p) => p.message,
      ),
    ).toEqual([
      // In line order: the target comes first in the file.
      'must be a number in (0, 1], got 0',
      '"30s" is not a whole number of minutes such as 1m or 5m',
    ])
  })

  it('refuses slice fields under Occurrences, and RatioTimeslices with the reason', () => {
    const withSlice = authSlo.replace('    - target: 0.999', '    - target: 0.999\n      timeSliceWindow: 1m')
    expect(problemsOf(withSlice).map((p) => p.message)).toEqual([
      'is not supported: only with budgetingMethod: Timeslices',
    ])
    const ratio = authSlo.replace('budgetingMethod: Occurrences', 'budgetingMethod: RatioTimeslices')
    expect(problemsOf(ratio).map((p) => p.message)).toEqual([
      'must be Occurrences or Timeslices, got "RatioTimeslices" (an average of slice ratios is not supported: windows are sums of counters)',
    ])
  })
})

describe('parseOpenSlo > egress destinations', () => {
  const egressSlo = (good: string, total: string, rollup = 'egress') =>
    authSlo
      .replace('bad:\n', 'good:\n')
      .replace(
        /rollup: auth\n\s+column: system_failures/,
        `rollup: ${rollup}\n              column: blocked${good}`,
      )
      .replace(
        /rollup: auth\n\s+column: attempts/,
        `rollup: ${rollup}\n              column: attempts${total}`,
      )
  const undeclared = '\n              destinations: undeclared'

  it('reads destinations: undeclared on both sides as an indicator of undeclared egress only', () => {
    const [slo] = parseOpenSlo(egressSlo(undeclared, undeclared), { source: 'egress.yaml' })
    expect(slo?.indicator).toEqual({
      rollup: 'egress',
      undeclaredEgressOnly: true,
      bad: { attempts: 1, blocked: -1 },
      total: { attempts: 1 },
      declared: 'good',
    })
  })

  it('refuses destinations on one side only, and on a rollup without destinations', () => {
    expect(problemsOf(egressSlo(undeclared, '')).map((p) => p.message)).toEqual([
      'must be the same destinations as "good" (undeclared)',
    ])
    const onFlows = egressSlo(undeclared, undeclared, 'flow_sli')
      .replaceAll('blocked', 'egress_blocked')
      .replaceAll('attempts', 'egress')
    expect(problemsOf(onFlows).map((p) => p.message)).toContain('only the egress rollup has destinations')
  })
})
