import type { Finding } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { createRiskScorer, riskIdentityOf, riskSettingsSchema } from './risk-scorer.ts'

const hour = 3_600_000
const settings = riskSettingsSchema.parse(
  parse(`threshold: 100
half_life: 6h
severity_weights: { page: 50, ticket: 20, info: 5 }
rule_weights: { lateral.post_compromise_chain: 100 }
runbook_url: https://runbooks.example/risk`),
)

function finding(
  rule: string,
  ts: number,
  entities: Record<string, string>,
  severity: Finding['severity'] = 'ticket',
): Finding {
  return {
    finding_id: `${rule}-${ts}`,
    tenant: 'acme',
    ts,
    detected_at: ts,
    rule,
    severity,
    title: rule,
    summary: rule,
    entities,
    evidence: {},
  }
}

function score(findings: Finding[]) {
  const scorer = createRiskScorer(settings)
  const states = new Map<string, ReturnType<typeof scorer.initialState>>()
  return findings.flatMap((f) => {
    if (!scorer.accepts(f)) return []
    const key = scorer.keyOf(f)
    if (!states.has(key)) states.set(key, scorer.initialState())
    return scorer.step(states.get(key)!, f)
  })
}

describe('risk scorer', () => {
  it('pages once when weighted findings about one identity cross the threshold, listing each', () => {
    const web = { src_identity: 'spiffe://cluster.local/ns/shop/sa/web' }
    const out = score([
      finding('lateral.new_edge', 0, web),
      finding('lateral.fan_out_scan', hour, { src_identity: 'shop/web' }, 'page'),
      finding('policy.drift', 2 * hour, web),
      finding('egress.new_external_destination', 3 * hour, web),
      finding('egress.new_external_destination', 3 * hour + 1, web),
    ])
    expect(out).toHaveLength(1)
    expect(out[0]!.entities.identity).toBe('shop/web')
    expect(out[0]!.summary).toContain('The risk score of shop/web reached')
    expect(out[0]!.summary).toContain('lateral.fan_out_scan +')
    expect((out[0]!.evidence.contributions as unknown[]).length).toBe(5)
  })

  it('lets contributions decay: the same findings spread over days do not add up', () => {
    const out = score(
      [0, 1, 2, 3, 4].map((day) =>
        finding('lateral.fan_out_scan', day * 24 * hour, { principal: 'a@x' }, 'page'),
      ),
    )
    expect(out).toEqual([])
  })

  it('keeps identities apart, skips findings about no identity, and ignores its own findings', () => {
    const out = score([
      finding('identity.password_spray', 0, { client_ip: '203.0.113.9' }, 'page'),
      finding('identity.password_spray', 1, { client_ip: '203.0.113.9' }, 'page'),
      finding('x.a', 2, { principal: 'a@x' }, 'page'),
      finding('x.b', 3, { principal: 'b@x' }, 'page'),
      finding('risk.identity_score', 4, { principal: 'a@x' }, 'page'),
    ])
    expect(out).toEqual([])
    expect(riskIdentityOf({ entities: { client_ip: '203.0.113.9' } })).toBeUndefined()
  })

  it('carries when the event of the completing finding reached Palisade, so a replay does not burn the time-to-detect SLO', () => {
    // A replay of March records in December: the detector runtime stamps each finding with its
    // triggering event's observed_at (evidence.arrived_at); the score is as late as the last finding.
    const replayedAt = Date.parse('2026-12-08T01:32:00Z')
    const web = { src_identity: 'spiffe://cluster.local/ns/platform/sa/notification-svc' }
    const out = score([
      { ...finding('lateral.new_edge', 0, web, 'page'), evidence: { arrived_at: replayedAt } },
      {
        ...finding('lateral.post_compromise_chain', 60_000, web, 'page'),
        evidence: { arrived_at: replayedAt + 5 },
      },
    ])
    expect(out).toHaveLength(1)
    expect(out[0]!.evidence.arrived_at).toBe(replayedAt + 5)
    // Findings that carry no arrival (older rows) leave it out: the SLI counts them as before.
    const older = score([finding('lateral.post_compromise_chain', 0, web, 'page')])
    expect(older[0]!.evidence).not.toHaveProperty('arrived_at')
  })
})
