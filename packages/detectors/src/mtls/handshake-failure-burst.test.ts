import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { byTime, event, instantiate, jumble, minute, second, series, t0 } from '../testing/detector-run.ts'
import type { HandshakeFailureBurstState } from './handshake-failure-burst.ts'
import { handshakeFailureBurstType } from './handshake-failure-burst.ts'

const payments = 'spiffe://cluster.local/ns/payments/sa/payments'

const handshake = (ts: number, fields: Record<string, unknown> = {}) =>
  event('mtls', {
    ts,
    source: 'envoy',
    src_identity: 'shop/checkout',
    dst_identity: payments,
    dst_port: 8443,
    outcome: 'success',
    ...fields,
  })
const failure = (ts: number, fields: Record<string, unknown> = {}) =>
  handshake(ts, { outcome: 'failure', reason: 'fail_verify_error', ...fields })

describe('handshake_failure_burst', () => {
  it('fires once when failures cross the threshold, naming top reasons, clients and sources', () => {
    const detector = instantiate(handshakeFailureBurstType, {}, { severity: 'page' })
    const events = byTime([
      ...series(t0, 60, 5 * second, (ts) => handshake(ts, { count: 2 })),
      ...series(t0 + minute, 40, 5 * second, (ts) => failure(ts, { count: 5 })),
      ...series(t0 + minute, 10, 15 * second, (ts) =>
        failure(ts, { src_identity: 'shop/cart', reason: 'connection_error' }),
      ),
    ])
    const findings = runDetector(detector, events)
    expect(findings).toHaveLength(1)
    const [finding] = findings
    expect(finding!.severity).toBe('page')
    expect(finding!.entities).toEqual({ dst_identity: payments })
    expect(finding!.summary).toMatch(
      /^5\d mTLS handshakes to spiffe:\/\/cluster.local\/ns\/payments\/sa\/payments failed/,
    )
    expect(finding!.summary).toContain('Top reasons: fail_verify_error ×')
    expect(finding!.summary).toContain('top clients: shop/checkout ×')
    expect(finding!.summary).toContain('reported by envoy ×')
    expect((finding!.evidence.event_ids as string[]).length).toBeGreaterThan(10)
  })

  it('counts failures delivered a few minutes out of order within the window', () => {
    const detector = instantiate(handshakeFailureBurstType, { min_failures: 50 })
    const events = jumble(
      series(t0, 60, 4 * second, (ts) => failure(ts)),
      30,
    )
    const findings = runDetector(detector, events)
    expect(findings).toHaveLength(1)
    expect(findings[0]!.evidence.failures).toBe(50)
  })

  it('re-arms once the window falls under half the threshold, and ignores records older than the window', () => {
    const detector = instantiate(handshakeFailureBurstType, { window: '5m', min_failures: 50 })
    const states = new Map<string, unknown>()
    const burst = (from: number) => series(from, 60, second, (ts) => failure(ts))
    const findings = runDetector(
      detector,
      [
        ...burst(t0),
        // Late records from before the window: not counted, no second finding.
        ...series(t0 - 20 * minute, 60, second, (ts) => failure(ts)),
        // The next burst, 30 min later, after a quiet spell that cleared the first.
        handshake(t0 + 20 * minute),
        ...burst(t0 + 30 * minute),
      ],
      states,
    )
    expect(findings.map((f) => f.ts)).toEqual([t0 + 49 * second, t0 + 30 * minute + 49 * second])
    const state = states.get(`acme/dst/payments/payments`) as HandshakeFailureBurstState
    expect(state.buckets.length).toBeLessThanOrEqual(11)
  })

  it('does not fire on many failures among far more successes', () => {
    const detector = instantiate(handshakeFailureBurstType, { min_failure_ratio: 0.2 })
    const events = byTime([
      ...series(t0, 100, 3 * second, (ts) => failure(ts)),
      ...series(t0, 100, 3 * second, (ts) => handshake(ts, { count: 50 })),
    ])
    expect(runDetector(detector, events)).toEqual([])
  })

  it('keys Envoy listener stats without a peer by their service', () => {
    const detector = instantiate(handshakeFailureBurstType, { min_failures: 10 })
    const findings = runDetector(
      detector,
      series(t0, 3, second, (ts) =>
        event('mtls', {
          ts,
          source: 'envoy',
          service: 'payments',
          dst_port: 15006,
          outcome: 'failure',
          reason: 'connection_error',
          count: 5,
        }),
      ),
    )
    expect(findings).toHaveLength(1)
    expect(findings[0]!.entities).toEqual({ service: 'payments' })
    expect(findings[0]!.summary).toContain('the records name no client')
  })

  it('fires the fast tier on ten failures within a minute at half failing, and not below either', () => {
    const params = { fast_min_failures: 10, fast_window: '1m', fast_min_failure_ratio: 0.5 }
    const fast = runDetector(
      instantiate(handshakeFailureBurstType, params),
      series(t0, 12, 3 * second, (ts) => failure(ts)),
    )
    expect(fast).toHaveLength(1)
    expect(fast[0]!.ts).toBe(t0 + 27 * second)
    expect(fast[0]!.evidence).toMatchObject({ failures: 10, tier: 'fast' })
    // Ten failures spread over three minutes, and ten among forty successes, stay quiet.
    const slow = series(t0, 10, 20 * second, (ts) => failure(ts))
    expect(runDetector(instantiate(handshakeFailureBurstType, params), slow)).toEqual([])
    const diluted = byTime([
      ...series(t0, 12, 3 * second, (ts) => failure(ts)),
      ...series(t0, 12, 3 * second, (ts) => handshake(ts, { count: 4 })),
    ])
    expect(runDetector(instantiate(handshakeFailureBurstType, params), diluted)).toEqual([])
  })
})
