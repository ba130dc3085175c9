import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { SloInvalidError, type SloProblem } from './errors.ts'
import { type OpenSloFile, parseOpenSloFiles } from './openslo-parser.ts'

// Examples from the OpenSLO specification (copied unchanged, see fixtures/openslo/README.md) and one of ours.
const fixture = (name: string): OpenSloFile => ({
  source: name,
  text: readFileSync(fileURLToPath(new URL(`../fixtures/openslo/${name}`, import.meta.url)), 'utf8'),
})

function problemsOf(files: OpenSloFile[]): SloProblem[] {
  try {
    parseOpenSloFiles(files)
  } catch (error) {
    if (error instanceof SloInvalidError) return [...error.problems]
    throw error
  }
  return []
}

const where = (p: SloProblem) => `${p.source}:${p.line} ${p.path}: ${p.message}`

const palisadeCondition: OpenSloFile = {
  source: 'ours.yaml',
  text: `apiVersion: openslo/v1
kind: AlertCondition
metadata: { name: cpu-usage-breach }
spec:
  severity: page
  condition: { kind: burnrate, op: gt, threshold: 2, lookbackWindow: 1h }
`,
}

describe('OpenSLO specification examples', () => {
  it('parses the AlertNotificationTarget and Service examples unchanged', () => {
    expect(
      parseOpenSloFiles([fixture('readme-notification-targets.yaml'), fixture('readme-service-schema.yaml')]),
    ).toEqual([])
  })

  it('parses the AlertPolicy example, pointing at its dangling targetRef only', () => {
    const problems = problemsOf([
      fixture('readme-alert-policy-ref.yaml'),
      fixture('readme-notification-targets.yaml'),
      palisadeCondition,
    ])
    expect(problems.map(where)).toEqual([
      'readme-alert-policy-ref.yaml:13 spec.notificationTargets[0].targetRef: no AlertNotificationTarget named "on-call-devops-mail-notification" (declared: OnCallDevopsMailNotification, OnCallDevopsSlackNotification)',
    ])
  })

  it('refuses the AlertCondition example with a lower-than burn rate and a pending period, each located', () => {
    expect(problemsOf([fixture('readme-alert-condition.yaml')]).map(where)).toEqual([
      'readme-alert-condition.yaml:11 spec.condition.op: must be gt or gte: a burn-rate tier fires when the budget burns faster than the threshold, got "lte"',
      'readme-alert-condition.yaml:14 spec.condition.alertAfter: is not supported beyond 0m: the short window already makes an alert wait for a sustained burn',
    ])
  })

  it('reports the same at the condition inlined in the AlertPolicy example', () => {
    const paths = problemsOf([
      fixture('readme-alert-policy-inline.yaml'),
      fixture('readme-notification-targets.yaml'),
    ]).map((p) => [p.line, p.path])
    expect(paths).toEqual([
      [20, 'spec.conditions[0].spec.condition.op'],
      [23, 'spec.conditions[0].spec.condition.alertAfter'],
      [25, 'spec.notificationTargets[0].targetRef'],
    ])
  })
})

describe('every kind together', () => {
  it('resolves the SLI by name and turns both policies into the SLO’s tiers', () => {
    const [slo, ...rest] = parseOpenSloFiles([fixture('palisade-multi-kind.yaml')])
    expect(rest).toEqual([])
    expect(slo).toMatchObject({
      name: 'identity-auth',
      service: 'identity',
      objective: 0.999,
      indicator: { rollup: 'auth', bad: { system_failures: 1 }, total: { attempts: 1 }, declared: 'bad' },
      tiers: [
        { severity: 'page', threshold: 14.4, longWindow: '1h', shortWindow: '5m' },
        { severity: 'ticket', threshold: 1, longWindow: '3d', shortWindow: '6h' },
      ],
    })
  })

  it('finds references across files, and says what is declared when one is missing', () => {
    const text = fixture('palisade-multi-kind.yaml').text
    const [head, ...docs] = text.split('\n---\n')
    const sloDoc = docs.at(-1) ?? ''
    const others = { source: 'others.yaml', text: [head, ...docs.slice(0, -1)].join('\n---\n') }
    expect(parseOpenSloFiles([{ source: 'slo.yaml', text: sloDoc }, others])).toHaveLength(1)
    const typo = sloDoc.replace('indicatorRef: auth-system-failures', 'indicatorRef: auth-failures')
    expect(problemsOf([{ source: 'slo.yaml', text: typo }, others]).map((p) => p.message)).toEqual([
      'no SLI named "auth-failures" (declared: auth-system-failures)',
    ])
    const service = sloDoc.replace('service: identity', 'service: idp')
    expect(problemsOf([{ source: 'slo.yaml', text: service }, others]).map((p) => p.message)).toEqual([
      'no Service named "idp" (declared: identity)',
    ])
    const policy = sloDoc.replace('alertPolicyRef: identity-fast-burn', 'alertPolicyRef: fast')
    expect(problemsOf([{ source: 'slo.yaml', text: policy }, others]).map((p) => p.message)).toEqual([
      'no AlertPolicy named "fast" (declared: identity-fast-burn)',
    ])
  })

  it('refuses an SLO with both an inline indicator and an indicatorRef, and a name declared twice', () => {
    const text = fixture('palisade-multi-kind.yaml').text
    const both = text.replace(
      '  indicatorRef: auth-system-failures\n',
      '  indicatorRef: auth-system-failures\n  indicator: { spec: {} }\n',
    )
    expect(problemsOf([{ source: 'x.yaml', text: both }]).map((p) => p.message)).toEqual([
      'needs exactly one of "indicator" (an inline SLI) or "indicatorRef" (the name of an SLI)',
    ])
    const twice = problemsOf([
      { source: 'a.yaml', text },
      { source: 'b.yaml', text: text.split('\n---\n')[1] ?? '' },
    ])
    expect(twice.map((p) => `${p.source} ${p.message}`)).toEqual([
      'b.yaml SLI "auth-system-failures" is already defined in a.yaml (document 2)',
    ])
  })

  it('refuses severities other than page and ticket, and short lookback windows', () => {
    const text = fixture('palisade-multi-kind.yaml')
      .text.replace('severity: page', 'severity: sev1')
      .replace('lookbackWindow: 1h', 'lookbackWindow: 10m')
    expect(problemsOf([{ source: 'x.yaml', text }]).map((p) => p.message)).toEqual([
      'must be page or ticket (the two tiers routing knows), got "sev1"',
      '"10m" must be a window of at least 12m, such as 1h or 6h (its short window is a twelfth of it)',
    ])
  })
})
