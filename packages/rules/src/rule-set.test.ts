import { detectorCatalog } from '@palisade/detectors'
import { describe, expect, it } from 'vitest'
import { compileRules, formatRuleProblem } from './rule-set.ts'

const valid = `
lists:
  db_ports: [5432, 3306]
rules:
  - id: lateral.new_edge
    detector: new_edge
    title: New service edge
    severity: ticket
    params: { learning_period: 1h, sensitive_ports: [22, $db_ports] }
    dedup_period: 1h
    group_by: [src_identity]
    runbook_url: https://runbooks.example/new-edge
    mitre: [T1021]
    tests:
      - name: fires
        events:
          - { kind: flow, at: 0s, src_identity: a/web, dst_identity: a/api, dst_port: 8080 }
          - { kind: flow, at: 2h, src_identity: a/web, dst_identity: b/db, dst_port: 3306 }
        expect: [{ severity: page }]
      - name: quiet
        events: [{ kind: flow, at: 0s, src_identity: a/web, dst_identity: a/api, dst_port: 8080 }]
        expect: []
`

function lint(text: string): string[] {
  return compileRules([{ path: 'rules/x.yaml', text }], detectorCatalog).problems.map(formatRuleProblem)
}

describe('compileRules', () => {
  it('compiles a valid file, resolving lists into params', () => {
    const { rules, problems } = compileRules([{ path: 'rules/x.yaml', text: valid }], detectorCatalog)
    expect(problems).toEqual([])
    expect(rules.map((rule) => rule.declaration.id)).toEqual(['lateral.new_edge'])
  })

  it('names an unknown field with its place and rule', () => {
    expect(lint(valid.replace('    severity: ticket', '    severity: ticket\n    sevirity: page'))).toEqual([
      "rules/x.yaml: rules[0] (lateral.new_edge).sevirity: unknown field 'sevirity'",
    ])
  })

  it('names an unknown param, checked against the detector type', () => {
    expect(lint(valid.replace('learning_period: 1h', 'learning_perod: 1h'))).toEqual([
      "rules/x.yaml: rules[0] (lateral.new_edge).params.learning_perod: unknown field 'learning_perod'",
    ])
  })

  it('rejects a bad window, in the rule and in its params', () => {
    expect(lint(valid.replace('dedup_period: 1h', 'dedup_period: 1 hour'))).toEqual([
      "rules/x.yaml: rules[0] (lateral.new_edge).dedup_period: bad duration '1 hour': write a positive number and a unit, such as 30s, 10m, 1h or 7d",
    ])
    expect(lint(valid.replace('learning_period: 1h', 'learning_period: 0m'))[0]).toContain(
      "params.learning_period: bad duration '0m'",
    )
  })

  it('requires a test that must fire and one that must not', () => {
    const withoutQuiet = valid.replace(/ {6}- name: quiet[\s\S]*$/, '')
    expect(lint(withoutQuiet)).toEqual([
      'rules/x.yaml: rules[0] (lateral.new_edge).tests: no test that must not fire: add a test with `expect: []` (a benign look-alike)',
    ])
    expect(lint(valid.replace('expect: [{ severity: page }]', 'expect: []'))).toEqual([
      'rules/x.yaml: rules[0] (lateral.new_edge).tests: no test that must fire: add a test whose expect lists the finding',
    ])
  })

  it('lists the known detectors for an unknown one, and refuses an unknown list and a repeated id', () => {
    const [unknown] = lint(valid.replace('detector: new_edge', 'detector: new_edges'))
    expect(unknown).toMatch(
      /^rules\/x.yaml: rules\[0\] \(lateral.new_edge\).detector: unknown detector 'new_edges'; known: .*\bnew_edge\b/,
    )
    expect(lint(valid.replace('$db_ports', '$dbports'))[0]).toContain("unknown list '$dbports'")
    const twice = compileRules(
      [
        { path: 'a.yaml', text: valid },
        { path: 'b.yaml', text: valid },
      ],
      detectorCatalog,
    )
    expect(twice.problems.map(formatRuleProblem)).toEqual([
      "b.yaml: rules[0] (lateral.new_edge).id: rule id 'lateral.new_edge' is already used in a.yaml",
    ])
  })

  it('reports a YAML syntax error with its line', () => {
    expect(lint('rules:\n  - id: [unclosed\n')[0]).toMatch(/^rules\/x.yaml: line \d+: /)
  })
})
