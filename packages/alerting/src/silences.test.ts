import { describe, expect, it } from 'vitest'
import { parseLabelMatcher } from './label-matcher.ts'
import type { Silence } from './routing-config.ts'
import { createSilencer } from './silences.ts'

const T0 = Date.UTC(2026, 10, 23, 10)
const h = 3_600_000

function silence(matchers: string[], startsAt = T0, endsAt = T0 + h): Silence {
  return { matchers: matchers.map(parseLabelMatcher), startsAt, endsAt, comment: '' }
}

describe('silencer', () => {
  it('mutes an alert every matcher of an active silence accepts, and only while it lasts', () => {
    const silencer = createSilencer([silence(['service="pdp"', 'severity="ticket"'])])
    const labels = { service: 'pdp', severity: 'ticket', tenant: 'acme' }
    expect(silencer.mutes(labels, T0 - 1)).toBe(false)
    expect(silencer.mutes(labels, T0)).toBe(true)
    expect(silencer.mutes({ ...labels, severity: 'page' }, T0)).toBe(false)
    expect(silencer.mutes(labels, T0 + h)).toBe(false)
  })

  it('mutes with silences that have no equality matcher too', () => {
    const silencer = createSilencer([silence(['service=~"pdp-.*"']), silence(['tenant="acme"'])])
    expect(silencer.mutes({ service: 'pdp-eu', tenant: 'globex' }, T0)).toBe(true)
    expect(silencer.mutes({ service: 'sso', tenant: 'acme' }, T0)).toBe(true)
    expect(silencer.mutes({ service: 'sso', tenant: 'globex' }, T0)).toBe(false)
  })

  it('finds the one silence among thousands indexed by label value', () => {
    const silences = Array.from({ length: 5000 }, (_, i) => silence([`service="svc-${i}"`]))
    const silencer = createSilencer(silences)
    expect(silencer.mutes({ service: 'svc-4999' }, T0)).toBe(true)
    expect(silencer.mutes({ service: 'svc-5000' }, T0)).toBe(false)
  })
})
