import { type FlowEvent, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { type NewEdgeOptions, type NewEdgeState, newEdgeDetector } from './new-edge-detector.ts'
import { intentWith } from './testing/intent-with.ts'

const hour = 3_600_000
const t0 = Date.UTC(2026, 10, 23, 8)

function flow(
  ts: number,
  src: string,
  dst: string | undefined,
  port: number,
  verdict = 'allowed',
  extra = {},
): FlowEvent {
  const result = validateEvent(
    'flow',
    { ts, src_identity: src, dst_identity: dst, dst_port: port, verdict, service: 'shop', ...extra },
    { tenant: 'acme', observedAt: ts },
  )
  if (!result.ok) throw new Error(result.reason)
  return result.event
}

const web = 'spiffe://acme.io/ns/shop/sa/web'
const api = 'spiffe://acme.io/ns/shop/sa/api'
const db = 'spiffe://acme.io/ns/data/sa/postgres'

/** Feed events as the runtime does: one state per key. */
function run(events: FlowEvent[], options: NewEdgeOptions = {}, states = new Map<string, NewEdgeState>()) {
  const detector = newEdgeDetector(options)
  return events.flatMap((event) => {
    const key = detector.keyOf(event)
    if (!states.has(key)) states.set(key, detector.initialState())
    return detector.step(states.get(key)!, event)
  })
}

describe('newEdgeDetector', () => {
  it('stays quiet while learning and on edges it has learned', () => {
    const findings = run([
      flow(t0, web, api, 8080),
      flow(t0 + 30 * 60_000, api, db, 5432),
      flow(t0 + 2 * hour, web, api, 8080),
    ])
    expect(findings).toEqual([])
  })

  it('reports a new edge after the learning period, explaining edge, first seen and baseline', () => {
    const findings = run([
      flow(t0, web, api, 8080),
      flow(t0 + 10 * 60_000, web, api, 9090),
      flow(t0 + 20 * 60_000, api, db, 5432),
      flow(t0 + 2 * hour, web, db, 5432),
    ])
    expect(findings).toHaveLength(1)
    const [finding] = findings
    expect(finding!.rule).toBe('lateral.new_edge')
    expect(finding!.entities).toMatchObject({ src_identity: web, dst_identity: db, dst_port: '5432' })
    expect(finding!.evidence).toMatchObject({
      first_seen: t0 + 2 * hour,
      baseline_edges: 2,
      baseline_age_ms: 2 * hour,
    })
    expect(finding!.summary).toContain(`${web} connected to ${db} on port 5432 for the first time`)
    expect(finding!.summary).toContain(`not among the 2 edges ${web} was seen using over the previous 2.0 h`)
    expect(finding!.severity).toBe('page')
  })

  it("keeps a baseline per source: what one workload does is not another one's baseline", () => {
    // api talking to db is normal; web doing it is not.
    const findings = run([
      flow(t0, web, api, 8080),
      flow(t0, api, db, 5432),
      flow(t0 + 2 * hour, web, db, 5432),
    ])
    expect(findings.map((finding) => finding.entities.src_identity)).toEqual([web])
  })

  it('reports each new edge once', () => {
    const findings = run([
      flow(t0, api, db, 5432),
      flow(t0 + 2 * hour, api, web, 9000),
      flow(t0 + 3 * hour, api, web, 9000),
    ])
    expect(findings).toHaveLength(1)
    expect(findings[0]!.severity).toBe('ticket')
  })

  it('ignores dropped flows', () => {
    expect(run([flow(t0, web, api, 8080), flow(t0 + 2 * hour, web, db, 5432, 'dropped')])).toEqual([])
  })

  it('gives the same findings, with the same ids, when the same telemetry is replayed', () => {
    const events = [flow(t0, web, api, 8080), flow(t0 + 2 * hour, web, db, 5432)]
    expect(run(events)).toEqual(run(events))
  })

  it('compares workloads canonically: an Envoy SPIFFE ID and the Hubble name are one edge', () => {
    const findings = run([
      flow(t0, 'shop/web', 'shop/api', 8080),
      flow(t0 + 2 * hour, web, api, 8080),
      flow(t0 + 3 * hour, web, 'data/postgres', 5432),
    ])
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities).toMatchObject({
      src_identity: web,
      src_workload: 'shop/web',
      dst_identity: 'data/postgres',
    })
  })

  it('leaves destinations on the internet to the egress detectors', () => {
    const findings = run([
      flow(t0, web, api, 8080),
      flow(t0 + 2 * hour, web, 'reserved:world', 443, 'allowed', { dst_ip: '203.0.113.5' }),
      flow(t0 + 2 * hour, web, undefined, 443, 'allowed', { dst_ip: '198.51.100.1' }),
    ])
    expect(findings).toEqual([])
  })

  it('stays quiet for edges a running declared change adds and for monitoring workloads; pages for sensitive services', () => {
    const intent = intentWith({
      isDeclaredEdge: (_ts, from, to, port) =>
        from.name === 'checkout' && to.name === 'ledger' && port === 8443
          ? { id: 'CHG-7', from: t0, to: t0 + 3 * hour, workloads: [], policies: [], addsEdges: [] }
          : undefined,
      isMonitoring: (w) => w.namespace === 'monitoring',
      isSensitive: (w) => w.namespace === 'payments' && w.name === 'ledger',
    })
    const findings = run(
      [
        flow(t0, 'shop/checkout', 'shop/cart', 8080),
        flow(t0, 'shop/frontend', 'shop/cart', 8080),
        flow(t0, 'monitoring/prometheus', 'shop/cart', 9090),
        flow(t0 + 2 * hour, 'shop/checkout', 'payments/ledger', 8443),
        flow(t0 + 2 * hour, 'monitoring/prometheus', 'payments/ledger', 9090),
        flow(t0 + 2 * hour, 'shop/frontend', 'payments/ledger', 8443),
      ],
      { intent },
    )
    expect(findings.map((f) => [f.entities.src_identity, f.severity])).toEqual([['shop/frontend', 'page']])
    expect(findings[0]!.summary).toContain('and payments/ledger is declared sensitive.')
  })

  it('tolerates events out of order: the earliest sighting of an edge counts', () => {
    const findings = run([
      flow(t0, web, api, 8080),
      flow(t0 + 2 * hour, web, db, 5432),
      flow(t0 + 2 * hour - 5 * 60_000, web, db, 5432),
    ])
    expect(findings).toHaveLength(1)
  })

  it('keeps its state bounded under 100k distinct destinations, counting what it could not remember', () => {
    const states = new Map<string, NewEdgeState>()
    const events = Array.from({ length: 100_000 }, (_, i) => flow(t0 + i * 100, web, `shop/svc-${i}`, 8080))
    const findings = run(events, {}, states)
    const state = states.get('acme/shop/web')!
    expect(Object.keys(state.edges)).toHaveLength(2000)
    expect(state.overflow).toBe(98_000)
    expect(findings).toEqual([]) // all 2,000 remembered ones were learned in the first hour
  })
})
