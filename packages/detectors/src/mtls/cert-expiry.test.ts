import { describe, expect, it } from 'vitest'
import { runDetector } from '../run-detector.ts'
import { day, event, hour, instantiate, minute, series, t0 } from '../testing/detector-run.ts'
import type { CertExpiryState } from './cert-expiry.ts'
import { certExpiryType } from './cert-expiry.ts'

const handshake = (ts: number, notAfter: number, fields: Record<string, unknown> = {}) =>
  event('mtls', {
    ts,
    source: 'envoy',
    src_identity: 'shop/web',
    dst_identity: 'identity/sso',
    dst_port: 8443,
    outcome: 'success',
    cert_not_after: notAfter,
    ...fields,
  })

describe('cert_expiry', () => {
  it('opens one ticket per certificate expiring within the warning window', () => {
    const detector = instantiate(certExpiryType, { warn_within: '14d' })
    const notAfter = t0 + 5 * day
    const findings = runDetector(
      detector,
      series(t0, 100, minute, (ts) => handshake(ts, notAfter)),
    )
    expect(findings).toHaveLength(1)
    expect(findings[0]!.severity).toBe('ticket')
    expect(findings[0]!.entities).toEqual({
      dst_identity: 'identity/sso',
      cert_not_after: '2026-01-10T10:00:00.000Z',
      dst_port: '8443',
    })
    expect(findings[0]!.summary).toBe(
      'The certificate identity/sso presents on port 8443 expires at 2026-01-10T10:00:00.000Z, in 5.0 d (warning window 14.0 d; ' +
        'seen in a successful handshake from shop/web at 2026-01-05T10:00:00.000Z (envoy)): rotate it before then, or every mTLS handshake to identity/sso will fail.',
    )
  })

  it('pages once the certificate has expired, and again for a rotated certificate that nears expiry', () => {
    const detector = instantiate(certExpiryType, {})
    const old = t0 + 2 * hour
    const findings = runDetector(detector, [
      handshake(t0, old),
      handshake(t0 + 3 * hour, old, { outcome: 'failure', reason: 'expired_cert' }),
      handshake(t0 + 4 * hour, old, { outcome: 'failure', reason: 'expired_cert' }),
      handshake(t0 + 5 * hour, t0 + 90 * day),
      handshake(t0 + 80 * day, t0 + 90 * day),
    ])
    expect(findings.map((f) => f.severity)).toEqual(['ticket', 'page', 'ticket'])
    expect(findings[1]!.summary).toContain(
      'expired at 2026-01-05T12:00:00.000Z, 60 min before it was seen in a failed handshake',
    )
    expect(findings[1]!.summary).toContain('reason expired_cert')
  })

  it('remembers a bounded number of certificates per destination', () => {
    const detector = instantiate(certExpiryType, {})
    const states = new Map<string, unknown>()
    runDetector(
      detector,
      series(t0, 200, hour, (ts, i) => handshake(ts, t0 + 10 * day + i)),
      states,
    )
    const state = states.get('acme/dst/identity/sso') as CertExpiryState
    expect(Object.keys(state.reported).length).toBeLessThanOrEqual(32)
  })
})
