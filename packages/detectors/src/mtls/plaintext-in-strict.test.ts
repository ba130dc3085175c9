import type { WorkloadRef } from '@palisade/intent'
import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { byTime, event, instantiate, jumble, minute, series, t0 } from '../testing/detector-run.ts'
import { intentWith } from '../testing/intent-with.ts'
import type { PlaintextInStrictState } from './plaintext-in-strict.ts'
import { plaintextInStrictType } from './plaintext-in-strict.ts'

// Mesh-wide STRICT, with a PERMISSIVE exception on the metrics port 9090.
const intent = intentWith({
  mtlsMode: (_dst: WorkloadRef, port?: number) =>
    port === 9090
      ? { mode: 'PERMISSIVE', by: 'PeerAuthentication/data/postgres' }
      : { mode: 'STRICT', by: 'PeerAuthentication/istio-system/default' },
  isMonitoring: (workload) => workload.namespace === 'monitoring',
})

const plaintext = (ts: number, fields: Record<string, unknown> = {}) =>
  event('mtls', {
    ts,
    source: 'istio',
    src_identity: 'analytics/legacy-export',
    dst_identity: 'spiffe://cluster.local/ns/data/sa/postgres',
    dst_port: 5432,
    mode: 'plaintext',
    outcome: 'success',
    count: 12,
    ...fields,
  })

describe('plaintext_in_strict', () => {
  it('pages once per source, destination and port, naming the PeerAuthentication', () => {
    const detector = instantiate(plaintextInStrictType, {}, { intent, severity: 'page' })
    const findings = runDetector(
      detector,
      series(t0, 30, minute, (ts) => plaintext(ts)),
    )
    expect(findings).toHaveLength(1)
    expect(findings[0]!.severity).toBe('page')
    expect(findings[0]!.entities).toMatchObject({
      src_identity: 'analytics/legacy-export',
      dst_identity: 'spiffe://cluster.local/ns/data/sa/postgres',
      dst_port: '5432',
      peer_authentication: 'PeerAuthentication/istio-system/default',
    })
    expect(findings[0]!.summary).toContain(
      'analytics/legacy-export sent 12 plaintext connections/requests (mTLS record from istio, mode plaintext) to spiffe://cluster.local/ns/data/sa/postgres on port 5432',
    )
    expect(findings[0]!.summary).toContain('PeerAuthentication/istio-system/default requires STRICT mTLS')
  })

  it('re-arms after the re-arm period, and not for events a few minutes out of order', () => {
    const detector = instantiate(plaintextInStrictType, { rearm_period: '1h' }, { intent })
    const events = jumble(
      series(t0, 150, minute, (ts) => plaintext(ts)),
      5,
    )
    const findings = runDetector(detector, events)
    // t0+4m is delivered first (reversed block), then a new finding once an hour has passed since.
    expect(findings.map((f) => f.ts)).toEqual([t0 + 4 * minute, t0 + 64 * minute, t0 + 124 * minute])
  })

  it('honours port-level PERMISSIVE exceptions and ignores mTLS, failed plaintext and monitoring scrapes without a port', () => {
    const detector = instantiate(plaintextInStrictType, {}, { intent })
    const findings = runDetector(detector, [
      plaintext(t0, { src_identity: 'monitoring/prometheus', dst_port: 9090 }),
      plaintext(t0, { mode: 'mutual' }),
      plaintext(t0, { outcome: 'failure', reason: 'connection_error' }),
      plaintext(t0, { src_identity: 'monitoring/prometheus', dst_port: undefined }),
    ])
    expect(findings).toEqual([])
  })

  it('reads unencrypted allowed flows, and a record without a port by the workload mode', () => {
    const detector = instantiate(plaintextInStrictType, {}, { intent })
    const findings = runDetector(detector, [
      event('flow', {
        ts: t0,
        source: 'azure-flow',
        src_ip: '10.0.0.7',
        dst_identity: 'data/postgres',
        dst_port: 5432,
        encrypted: false,
      }),
      event('flow', {
        ts: t0,
        source: 'azure-flow',
        src_ip: '10.0.0.8',
        dst_identity: 'data/postgres',
        dst_port: 5432,
        encrypted: false,
        verdict: 'denied',
      }),
      plaintext(t0, { src_identity: undefined, dst_port: undefined }),
    ])
    expect(findings).toHaveLength(2)
    expect(findings[0]!.entities).toMatchObject({
      src_ip: '10.0.0.7',
      dst_identity: 'data/postgres',
      dst_port: '5432',
    })
    expect(findings[0]!.summary).toContain(
      '10.0.0.7 sent an unencrypted flow (reported by azure-flow) to data/postgres on port 5432',
    )
    expect(findings[1]!.summary).toContain('a client without a workload identity sent 12 plaintext')
    expect(findings[1]!.summary).toContain('(the record names no port)')
  })

  it('keeps state bounded however many destinations one source reaches', () => {
    const detector = instantiate(plaintextInStrictType, { rearm_period: '1h' }, { intent })
    const states = new Map<string, unknown>()
    const events = byTime(series(t0, 5000, 1000, (ts, i) => plaintext(ts, { dst_identity: `data/db-${i}` })))
    const findings = runDetector(detector, events, states)
    expect(findings).toHaveLength(5000)
    const state = states.get('acme/analytics/legacy-export') as PlaintextInStrictState
    expect(state.size).toBeLessThanOrEqual(256)
    expect(Object.keys(state.fired).length).toBe(state.size)
  })
})
