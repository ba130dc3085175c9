import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runRulesCommand } from './rules-command.ts'

// A saved hunt turned into a rule: `palisade rules lint` accepts it, `palisade rules test` runs its
// inline tests (the same events/expect as every rule) on the real engine, in a scratch store.
const dir = mkdtempSync(join(tmpdir(), 'palisade-hunt-rules-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const rule = (expectFire: string) => `rules:
  - id: hunt.refund_denied_many_times
    detector: hunt
    title: A caller denied on refunds again and again
    severity: ticket
    params:
      every: 5m
      lookback: 15m
      entity_columns: [subject]
      query: |-
        SELECT subject, count() AS denies
        FROM decision
        WHERE decision = 'deny' AND resource LIKE '/v1/payments/refund%'
        GROUP BY subject
        HAVING denies >= 5
        ORDER BY subject
    dedup_period: 1h
    group_by: [subject]
    runbook_url: https://runbooks.palisade.example/hunts/refund-denies
    tests:
      - name: mallory denied six times fires once, with mallory as the entity
        events:
          - { kind: decision, at: 0s, repeat: 6, every: 10s, service: payments, subject: "user:mallory", decision: deny, resource: /v1/payments/refund, enforcement_point: payments-sidecar }
          - { kind: decision, at: 0s, repeat: 3, every: 10s, service: payments, subject: "user:ann", decision: deny, resource: /v1/payments/refund, enforcement_point: payments-sidecar }
        expect:
${expectFire}
      - name: six allowed refunds stay quiet
        events:
          - { kind: decision, at: 0s, repeat: 6, every: 10s, service: payments, subject: "user:bob", decision: allow, resource: /v1/payments/refund, enforcement_point: payments-sidecar }
        expect: []
`

describe('hunt rules', () => {
  it('lint a hunt rule like any other, and refuse one whose lookback is shorter than its schedule', async () => {
    writeFileSync(join(dir, 'hunts.yaml'), rule('          - { entities: { subject: "user:mallory" } }'))
    const lint = await runRulesCommand({ action: 'lint', rulesDir: dir, rule: undefined, list: false }, dir)
    expect(lint.output).toContain('1 rules in 1 files lint clean (2 inline tests)')
    writeFileSync(join(dir, 'hunts.yaml'), rule('          - {}').replace('lookback: 15m', 'lookback: 1m'))
    const bad = await runRulesCommand({ action: 'lint', rulesDir: dir, rule: undefined, list: false }, dir)
    expect(bad.exitCode).toBe(1)
    expect(bad.output).toContain('lookback must be at least every')
  })

  it("runs a hunt rule's inline tests on the engine: the must-fire test fires, the look-alike stays quiet", async () => {
    writeFileSync(
      join(dir, 'hunts.yaml'),
      rule(
        '          - { severity: ticket, entities: { subject: "user:mallory" }, evidence: { row: { subject: "user:mallory", denies: 6 } } }',
      ),
    )
    const test = await runRulesCommand({ action: 'test', rulesDir: dir, rule: undefined, list: false }, dir)
    expect(test.output).toContain('ok   hunt.refund_denied_many_times › mallory denied six times fires once')
    expect(test.output).toContain('ok   hunt.refund_denied_many_times › six allowed refunds stay quiet')
    expect(test.exitCode).toBe(0)
  })

  it('fails a test whose expectation the hunt does not meet, saying what differs', async () => {
    writeFileSync(join(dir, 'hunts.yaml'), rule('          - { entities: { subject: "user:ann" } }'))
    const test = await runRulesCommand({ action: 'test', rulesDir: dir, rule: undefined, list: false }, dir)
    expect(test.exitCode).toBe(1)
    expect(test.output).toContain('entity subject is "user:mallory", expected "user:ann"')
  })
})
