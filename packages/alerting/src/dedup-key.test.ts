import { describe, expect, it } from 'vitest'
import { dedupKey } from './dedup-key.ts'

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
})
