import { describe, expect, it } from 'vitest'
import { createInhibitor } from './inhibitor.ts'
import { parseLabelMatcher } from './label-matcher.ts'
import type { InhibitRule } from './routing-config.ts'

const T0 = Date.UTC(2026, 10, 23, 10)
const rule = (source: string[], target: string[], equal: string[]): InhibitRule => ({
  sourceMatchers: source.map(parseLabelMatcher),
  targetMatchers: target.map(parseLabelMatcher),
  equal,
})
const pageMutesTickets = rule(['severity="page"'], ['severity="ticket"'], ['service'])

describe('inhibitor', () => {
  it('mutes a target while a firing source with the same equal labels and tenant is held', () => {
    const inhibitor = createInhibitor([pageMutesTickets])
    inhibitor.observe('page-pdp', { severity: 'page', service: 'pdp', tenant: 'acme' }, true)
    expect(inhibitor.mutes({ severity: 'ticket', service: 'pdp', tenant: 'acme' }, T0)).toBe(true)
    expect(inhibitor.mutes({ severity: 'ticket', service: 'sso', tenant: 'acme' }, T0)).toBe(false)
    expect(inhibitor.mutes({ severity: 'ticket', service: 'pdp', tenant: 'globex' }, T0)).toBe(false)
  })

  it('stops muting once the source resolves or is forgotten', () => {
    const inhibitor = createInhibitor([pageMutesTickets])
    const target = { severity: 'ticket', service: 'pdp', tenant: 'acme' }
    inhibitor.observe('a', { severity: 'page', service: 'pdp', tenant: 'acme' }, true)
    inhibitor.observe('b', { severity: 'page', service: 'pdp', tenant: 'acme' }, true)
    inhibitor.observe('a', { severity: 'page', service: 'pdp', tenant: 'acme' }, false)
    expect(inhibitor.mutes(target, T0)).toBe(true)
    inhibitor.forget('b')
    expect(inhibitor.mutes(target, T0)).toBe(false)
  })

  it('does not let alerts matching both sides mute each other', () => {
    const inhibitor = createInhibitor([rule(['alertname=~".+"'], ['alertname=~".+"'], ['service'])])
    inhibitor.observe('a', { alertname: 'x', service: 'pdp', tenant: 'acme' }, true)
    expect(inhibitor.mutes({ alertname: 'y', service: 'pdp', tenant: 'acme' }, T0)).toBe(false)
  })

  it('answers from its cache whatever the number of sources held', () => {
    const inhibitor = createInhibitor([pageMutesTickets])
    for (let i = 0; i < 5000; i++)
      inhibitor.observe(`p${i}`, { severity: 'page', service: `svc-${i}`, tenant: 'acme' }, true)
    expect(inhibitor.mutes({ severity: 'ticket', service: 'svc-4999', tenant: 'acme' }, T0)).toBe(true)
    expect(inhibitor.mutes({ severity: 'ticket', service: 'svc-5000', tenant: 'acme' }, T0)).toBe(false)
  })
})
