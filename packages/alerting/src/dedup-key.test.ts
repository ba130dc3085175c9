import { describe, expect, it } from 'vitest'
import { dedupIdentity, dedupKey, digestIdentity } from './dedup-key.ts'

describe('dedupKey', () => {
  it('is a sha-256 hex digest', () => {
    expect(dedupKey('acme', { alertname: 'slo.burn' })).toMatch(/^[0-9a-f]{64}$/)
  })

  it('does not depend on the order of the labels', () => {
    expect(dedupKey('acme', { alertname: 'a', service: 'pdp' })).toBe(
      dedupKey('acme', { service: 'pdp', alertname: 'a' }),
    )
  })

  it('differs between tenants and between label values', () => {
    const key = dedupKey('acme', { alertname: 'a', service: 'pdp' })
    expect(dedupKey('globex', { alertname: 'a', service: 'pdp' })).not.toBe(key)
    expect(dedupKey('acme', { alertname: 'a', service: 'sso' })).not.toBe(key)
  })

  it('cannot be forged by moving text between tenant and labels', () => {
    expect(dedupKey('a', { b: 'c' })).not.toBe(dedupKey('ab', { '': 'c' }))
  })

  it('keeps the key it always gave, so that incidents in the ledger keep theirs', () => {
    // sha-256 of ["palisade.dedup.v1","acme",[["alertname","a"],["service","pdp"]]], as before the
    // one-shot hash replaced createHash().
    expect(dedupKey('acme', { service: 'pdp', alertname: 'a' })).toBe(
      'b09bc3d56cc68f057d77af8ac805c5db3603a7c0da143589bc95338d74b15772',
    )
  })
})

describe('dedupIdentity', () => {
  it('is the JSON text the key digests, escapes included, so that keys do not change', () => {
    const labels = { zone: 'eu "west"\n', alertname: 'a\\b', émoji: '🔥', '': '' }
    const sorted = Object.keys(labels)
      .sort()
      .map((name) => [name, labels[name as keyof typeof labels]])
    expect(dedupIdentity('ac"me', labels)).toBe(JSON.stringify(['palisade.dedup.v1', 'ac"me', sorted]))
    expect(dedupIdentity('acme', {})).toBe('["palisade.dedup.v1","acme",[]]')
    expect(digestIdentity(dedupIdentity('acme', labels))).toBe(dedupKey('acme', labels))
  })
})
