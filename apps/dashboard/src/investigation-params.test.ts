import { describe, expect, it } from 'vitest'
import { RequestInvalidError } from './errors.ts'
import { parseEntity, parseEntityPageParams, parseId, parseInvestigationParams } from './request-params.ts'

const now = Date.UTC(2026, 10, 23, 12, 0)
const DAY = 24 * 3600_000
const kinds = ['spiffe', 'ip', 'user'] as const

describe('investigation params', () => {
  it('defaults an incident or entity range to the last 24 hours and 200 rows', () => {
    expect(parseInvestigationParams({}, now)).toEqual({ from: now - DAY, to: now, limit: 200 })
    expect(parseEntityPageParams({ only: 'flow', limit: '5' }, now, ['flow', 'auth'])).toEqual({
      from: now - DAY,
      to: now,
      limit: 5,
      only: 'flow',
    })
  })

  it('refuses a range over 31 days, a limit over 1,000, unknown parameters and unknown kinds', () => {
    const refused = (call: () => unknown, reason: string) => {
      expect(call).toThrow(RequestInvalidError)
      expect(call).toThrow(reason)
    }
    refused(() => parseInvestigationParams({ from: String(now - 32 * DAY), to: String(now) }, now), '31 days')
    refused(() => parseInvestigationParams({ limit: '1001' }, now), 'limit:')
    refused(() => parseInvestigationParams({ tenant: 'globex' }, now), 'unknown parameter(s): tenant')
    refused(
      () => parseEntityPageParams({ only: 'system.tables' }, now, ['flow']),
      'only: must be one of flow',
    )
    refused(() => parseEntityPageParams({ only: ['flow', 'auth'] }, now, ['flow', 'auth']), 'only:')
  })

  it('takes an entity of a known kind with a printable value, SPIFFE IDs and IPv6 included', () => {
    expect(parseEntity('spiffe', 'spiffe://acme.io/ns/shop/sa/frontend', kinds)).toEqual({
      kind: 'spiffe',
      value: 'spiffe://acme.io/ns/shop/sa/frontend',
    })
    expect(parseEntity('ip', '2001:db8::7', kinds).value).toBe('2001:db8::7')
    expect(() => parseEntity('table', 'x', kinds)).toThrow('kind: must be one of spiffe, ip, user')
    expect(() => parseEntity('user', 'ann smith', kinds)).toThrow('value:')
    expect(() => parseEntity('user', '', kinds)).toThrow('value:')
    expect(() => parseEntity('user', 'x'.repeat(513), kinds)).toThrow('value:')
  })

  it('takes ids of letters, digits and ._:@/- only', () => {
    expect(parseId('id', 'acme-new-edge')).toBe('acme-new-edge')
    expect(parseId('key', 'sha256:ab12/x@y.z')).toBe('sha256:ab12/x@y.z')
    expect(() => parseId('id', "x' OR 1=1")).toThrow('id: letters, digits')
    expect(() => parseId('key', '')).toThrow('key:')
  })
})
