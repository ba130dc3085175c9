import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { identityFromIstioPrincipal, identityFromUriSans, parseSpiffeId } from './spiffe-id.ts'

const reasonOf = (text: string) => {
  const parsed = parseSpiffeId(text)
  return parsed.ok ? undefined : parsed.reason
}

describe('parseSpiffeId', () => {
  it('splits a valid ID into trust domain and path', () => {
    expect(parseSpiffeId('spiffe://cluster.local/ns/default/sa/bookinfo-productpage')).toEqual({
      ok: true,
      spiffeId: {
        id: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
        trustDomain: 'cluster.local',
        path: '/ns/default/sa/bookinfo-productpage',
      },
    })
  })

  it('accepts an ID naming the trust domain itself, and mixed case in the path', () => {
    expect(parseSpiffeId('spiffe://example.org')).toMatchObject({ ok: true, spiffeId: { path: '' } })
    expect(parseSpiffeId('spiffe://example.org/Team_A/web-1.v2')).toMatchObject({ ok: true })
  })

  it.each([
    ['', 'cannot be empty'],
    ['http://example.org/a', 'scheme is missing or invalid'],
    ['SPIFFE://example.org/a', 'scheme is missing or invalid'],
    ['spiffe:/example.org/a', 'scheme is missing or invalid'],
    ['spiffe://', 'trust domain is missing'],
    ['spiffe:///path', 'trust domain is missing'],
    ['spiffe://Example.org/a', 'trust domain characters are limited'],
    ['spiffe://example.org:8443/a', 'trust domain characters are limited'],
    ['spiffe://user@example.org/a', 'trust domain characters are limited'],
    ['spiffe://example.org/', 'path cannot have a trailing slash'],
    ['spiffe://example.org/a/', 'path cannot have a trailing slash'],
    ['spiffe://example.org//a', 'path cannot contain empty segments'],
    ['spiffe://example.org/a/./b', 'path cannot contain dot segments'],
    ['spiffe://example.org/..', 'path cannot contain dot segments'],
    ['spiffe://example.org/a?x=1', 'path segment characters are limited'],
    ['spiffe://example.org/a#frag', 'path segment characters are limited'],
    ['spiffe://example.org/a%20b', 'path segment characters are limited'],
    ['spiffe://example.org/ünïcode', 'path segment characters are limited'],
    [`spiffe://example.org/${'a'.repeat(2030)}`, 'longer than 2048 bytes'],
    [`spiffe://${'a'.repeat(256)}/x`, 'trust domain is longer than 255 bytes'],
  ])('refuses %j: %s', (text, reason) => {
    expect(reasonOf(text)).toContain(reason)
  })

  it('names the ID in the reason', () => {
    expect(reasonOf('spiffe://Example.org/a')).toMatch(/^invalid SPIFFE ID "spiffe:\/\/Example\.org\/a": /)
  })

  it('accepts an ID of exactly 2048 bytes', () => {
    const id = `spiffe://example.org/${'a'.repeat(2048 - 'spiffe://example.org/'.length)}`
    expect(id).toHaveLength(2048)
    expect(parseSpiffeId(id).ok).toBe(true)
  })

  it('accepts only IDs the schema accepts as workload identities', () => {
    for (const id of [
      'spiffe://cluster.local/ns/default/sa/x',
      'spiffe://a_b-c.d',
      'spiffe://td/A.B_c-d/e',
    ]) {
      expect(parseSpiffeId(id).ok).toBe(true)
      const event = { ts: 0, src_identity: id, outcome: 'success' }
      expect(validateEvent('mtls', event, { tenant: 't', observedAt: 0 })).toMatchObject({ ok: true })
    }
  })
})

describe('identityFromUriSans', () => {
  it('returns nothing for an unset SAN', () => {
    for (const value of [undefined, null, '', '-'])
      expect(identityFromUriSans(value)).toEqual({ ok: true, identity: undefined })
  })

  it('picks the SPIFFE ID among several comma-joined SANs', () => {
    expect(identityFromUriSans('https://svc.example.org, spiffe://example.org/web')).toEqual({
      ok: true,
      identity: 'spiffe://example.org/web',
    })
  })

  it('keeps a non-SPIFFE SAN as it is', () => {
    expect(identityFromUriSans('urn:example:web')).toEqual({ ok: true, identity: 'urn:example:web' })
  })

  it('refuses a SAN that claims to be a SPIFFE ID and is not one, in any case of the scheme', () => {
    expect(identityFromUriSans('SPIFFE://example.org/web')).toMatchObject({ ok: false })
    expect(identityFromUriSans('spiffe://example.org/a/../b')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('dot segments'),
    })
  })
})

describe('identityFromIstioPrincipal', () => {
  it('reads the SPIFFE ID of a metric label and nothing for unknown', () => {
    expect(identityFromIstioPrincipal('spiffe://cluster.local/ns/default/sa/bookinfo-productpage')).toEqual({
      ok: true,
      identity: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
    })
    expect(identityFromIstioPrincipal('unknown')).toEqual({ ok: true, identity: undefined })
  })

  it("adds the scheme to AuthorizationPolicy's scheme-less form", () => {
    expect(identityFromIstioPrincipal('cluster.local/ns/default/sa/sleep')).toEqual({
      ok: true,
      identity: 'spiffe://cluster.local/ns/default/sa/sleep',
    })
  })

  it('refuses a principal that is no SPIFFE ID', () => {
    expect(identityFromIstioPrincipal('productpage')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('productpage'),
    })
    expect(identityFromIstioPrincipal('Cluster.Local/ns/default/sa/x')).toMatchObject({ ok: false })
  })
})
