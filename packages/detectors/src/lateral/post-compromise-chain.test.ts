import type { WorkloadRef } from '@palisade/intent'
import { describe, expect, it } from 'vitest'
import type { KindedEvent } from '../run-detector.ts'
import { decision, flow, hour, instantiate, jumble, minute, run, t0 } from '../testing/detector-run.ts'
import { intentWith } from '../testing/intent-with.ts'
import { type PostCompromiseChainState, postCompromiseChainType } from './post-compromise-chain.ts'

const inventory = 'shop/inventory'
const vault = 'data/vault'
const intent = intentWith({
  isSensitive: (w: WorkloadRef) => w.namespace === 'data' && (w.name === 'vault' || w.name === 'postgres'),
  isMonitoring: (w: WorkloadRef) => w.namespace === 'monitoring',
})

/** A day of usual work: inventory calls shop/db and shop/cache. */
function usual(start: number): KindedEvent[] {
  return Array.from({ length: 48 }, (_, i) =>
    flow({
      ts: start + i * 30 * minute,
      src_identity: inventory,
      dst_identity: i % 2 ? 'shop/db' : 'shop/cache',
      dst_port: 8080,
    }),
  )
}

/** Recon: `count` new destinations in 4 min, every third dropped. */
function recon(start: number, count = 8): KindedEvent[] {
  return Array.from({ length: count }, (_, i) =>
    flow({
      ts: start + i * 30_000,
      src_identity: inventory,
      dst_identity: `shop/svc-${i}`,
      dst_port: 8080,
      verdict: i % 3 === 0 ? 'dropped' : 'allowed',
    }),
  )
}

/** Denied requests to vault, as Envoy reports them: a flow and a decision per request. */
function denied(start: number, count = 5): KindedEvent[] {
  return Array.from({ length: count }, (_, i) => [
    flow({
      ts: start + i * minute,
      src_identity: inventory,
      dst_identity: vault,
      dst_port: 8200,
      verdict: 'denied',
    }),
    decision({
      ts: start + i * minute,
      src_identity: 'spiffe://cluster.local/ns/shop/sa/inventory',
      dst_identity: 'spiffe://cluster.local/ns/data/sa/vault',
      decision: 'deny',
      action: 'GET',
      resource: '/v1/secret/data/payments',
    }),
  ]).flat()
}

const success = (ts: number) => flow({ ts, src_identity: inventory, dst_identity: vault, dst_port: 8200 })

describe('post_compromise_chain', () => {
  it('pages for recon, then denials by a sensitive service, then a success there, listing each stage', () => {
    const start = t0 + 2 * hour
    const findings = run(instantiate(postCompromiseChainType, {}, { intent: intent, severity: 'page' }), [
      ...usual(t0 - 22 * hour),
      ...recon(start),
      ...denied(start + 10 * minute),
      success(start + 20 * minute),
    ])
    expect(findings).toHaveLength(1)
    const [finding] = findings
    expect(finding!.entities).toMatchObject({
      src_identity: inventory,
      dst_identity: vault,
      dst_port: '8200',
    })
    expect(finding!.summary).toContain(
      'shop/inventory went from reconnaissance to a sensitive service in 20 min',
    )
    expect(finding!.summary).toContain(
      '(1) recon: 6 new or failed destinations (2 failed) between 2026-01-05 12:00:00Z',
    )
    expect(finding!.summary).toContain(
      '(2) 5 denied attempts against data/vault between 2026-01-05 12:10:00Z and 2026-01-05 12:14:00Z',
    )
    expect(finding!.summary).toContain('(3) then reached data/vault:8200 at 2026-01-05 12:20:00Z')
    const stages = finding!.evidence.stages as { stage: string; event_ids: string[] }[]
    expect(stages.map((s) => [s.stage, s.event_ids.length])).toEqual([
      ['recon', 6],
      ['denied', 5],
      ['success', 1],
    ])
  })

  it('needs every stage, in order', () => {
    const start = t0 + 2 * hour
    const detector = () => instantiate(postCompromiseChainType, {}, { intent: intent, severity: 'page' })
    const base = usual(t0 - 22 * hour)
    // no recon
    expect(run(detector(), [...base, ...denied(start), success(start + 10 * minute)])).toEqual([])
    // no success after the denials
    expect(
      run(detector(), [...base, success(start), ...recon(start + minute), ...denied(start + 10 * minute)]),
    ).toEqual([])
    // too few denials (three requests, each reported as a flow and a decision, count three times)
    expect(
      run(detector(), [
        ...base,
        ...recon(start),
        ...denied(start + 10 * minute, 3),
        success(start + 20 * minute),
      ]),
    ).toEqual([])
    // the success more than an hour after recon began
    expect(
      run(detector(), [
        ...base,
        ...recon(start),
        ...denied(start + 10 * minute),
        success(start + 61 * minute),
      ]),
    ).toEqual([])
  })

  it('does not count destinations reached while learning as new, nor monitoring workloads', () => {
    const quiet = run(instantiate(postCompromiseChainType, {}, { intent: intent, severity: 'page' }), [
      ...recon(t0).map((e) => ({ ...e, event: { ...e.event, verdict: 'allowed' } }) as KindedEvent),
      ...denied(t0 + 10 * minute),
      success(t0 + 20 * minute),
    ])
    expect(quiet).toEqual([])
    const prometheus = Array.from({ length: 30 }, (_, i) =>
      flow({
        ts: t0 + i * 1000,
        src_identity: 'monitoring/prometheus',
        dst_identity: `shop/svc-${i}`,
        dst_port: 9090,
        verdict: 'dropped',
      }),
    )
    const vaultProbes = [0, 1, 2, 3, 4, 5].map((i) =>
      flow({
        ts: t0 + minute + i,
        src_identity: 'monitoring/prometheus',
        dst_identity: vault,
        dst_port: 8200,
        verdict: 'denied',
      }),
    )
    const scrape = flow({
      ts: t0 + 2 * minute,
      src_identity: 'monitoring/prometheus',
      dst_identity: vault,
      dst_port: 8200,
    })
    expect(
      run(instantiate(postCompromiseChainType, {}, { intent: intent, severity: 'page' }), [
        ...prometheus,
        ...vaultProbes,
        scrape,
      ]),
    ).toEqual([])
  })

  it('finds the chain when flows and decisions arrive minutes out of order', () => {
    const start = t0 + 2 * hour
    const events = [...recon(start), ...denied(start + 5 * minute), success(start + 10 * minute)]
    const findings = run(instantiate(postCompromiseChainType, {}, { intent: intent, severity: 'page' }), [
      ...usual(t0 - 22 * hour),
      ...jumble(events, 9),
    ])
    expect(findings).toHaveLength(1)
    // the decisions first, the flows minutes later
    const decisionsFirst = [
      ...events.filter((e) => e.kind === 'decision'),
      ...events.filter((e) => e.kind === 'flow'),
    ]
    expect(
      run(instantiate(postCompromiseChainType, {}, { intent: intent, severity: 'page' }), [
        ...usual(t0 - 22 * hour),
        ...decisionsFirst,
      ]),
    ).toHaveLength(1)
  })

  it('fires once per chain and again for a new complete chain', () => {
    const start = t0 + 2 * hour
    const findings = run(instantiate(postCompromiseChainType, {}, { intent: intent, severity: 'page' }), [
      ...usual(t0 - 22 * hour),
      ...recon(start),
      ...denied(start + 10 * minute),
      success(start + 20 * minute),
      success(start + 21 * minute),
      ...denied(start + 22 * minute),
      success(start + 30 * minute),
      ...recon(start + 3 * hour, 8).map((e, i) =>
        flow({
          ts: e.event.ts,
          src_identity: inventory,
          dst_ip: `10.9.0.${i + 1}`,
          dst_port: 22,
          verdict: 'dropped',
        }),
      ),
      ...denied(start + 3 * hour + 10 * minute),
      success(start + 3 * hour + 20 * minute),
    ])
    expect(findings.map((f) => f.ts - start)).toEqual([20 * minute, 3 * hour + 20 * minute])
  })

  describe('recon aimed at sensitive services', () => {
    const reconParams = { recon_severity: 'page' } as const
    /** Six new destinations 25 s apart: vault and postgres refused first, then `more` others, alternately refused. */
    const aimed = (start: number, sensitive = [vault, 'data/postgres']) => [
      ...sensitive.map((dst, i) =>
        flow({
          ts: start + i * 25_000,
          src_identity: inventory,
          dst_identity: dst,
          dst_port: 8200,
          verdict: 'dropped',
        }),
      ),
      ...Array.from({ length: 6 - sensitive.length }, (_, i) =>
        flow({
          ts: start + (sensitive.length + i) * 25_000,
          src_identity: inventory,
          dst_identity: `shop/svc-${i}`,
          dst_port: 8080,
          verdict: i % 2 ? 'allowed' : 'dropped',
        }),
      ),
    ]

    it('pages the recon alone at its sixth destination, then the whole chain again', () => {
      const start = t0 + 2 * hour
      const findings = run(instantiate(postCompromiseChainType, reconParams, { intent, severity: 'page' }), [
        ...usual(t0 - 22 * hour),
        ...aimed(start),
        ...denied(start + 10 * minute),
        success(start + 20 * minute),
      ])
      expect(findings.map((f) => [f.entities.stage, f.severity, f.ts - start])).toEqual([
        ['recon', 'page', 5 * 25_000],
        ['chain', 'page', 20 * minute],
      ])
      expect(findings[0]!.evidence).toMatchObject({
        recon_destinations: 6,
        refused_destinations: 4,
        sensitive_destinations: [vault, 'data/postgres'],
      })
      expect(findings[0]!.summary).toContain('2 declared sensitive (data/vault, data/postgres)')
    })

    it('stays quiet for recon touching one sensitive service, or new peers policy allows', () => {
      const start = t0 + 2 * hour
      const detector = instantiate(postCompromiseChainType, reconParams, { intent, severity: 'page' })
      expect(run(detector, [...usual(t0 - 22 * hour), ...aimed(start, [vault])])).toEqual([])
      const allowed = aimed(start).map(
        (k) => ({ ...k, event: { ...k.event, verdict: 'allowed' } }) as KindedEvent,
      )
      expect(run(detector, [...usual(t0 - 22 * hour), ...allowed])).toEqual([])
    })

    it('is off unless the rule asks for it', () => {
      const findings = run(instantiate(postCompromiseChainType, {}, { intent, severity: 'page' }), [
        ...usual(t0 - 22 * hour),
        ...aimed(t0 + 2 * hour),
      ])
      expect(findings).toEqual([])
    })
  })

  it('keeps its state bounded under 100k distinct destinations', () => {
    const states = new Map<string, unknown>()
    const events = Array.from({ length: 100_000 }, (_, i) =>
      flow({
        ts: t0 + i * 10,
        src_identity: inventory,
        dst_ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        dst_port: 22,
        verdict: i % 2 ? 'dropped' : 'allowed',
      }),
    )
    run(instantiate(postCompromiseChainType, {}, { intent: intent, severity: 'page' }), events, states)
    const state = states.get(`acme/${inventory}`) as PostCompromiseChainState
    expect(Object.keys(state.recon).length).toBeLessThanOrEqual(256)
    expect(Object.keys(state.known).length).toBeLessThanOrEqual(2000)
    expect(state.denied.length).toBe(0)
  })
})
