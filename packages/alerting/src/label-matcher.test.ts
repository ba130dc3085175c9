import { describe, expect, it } from 'vitest'
import { labelsMatch, parseLabelMatcher } from './label-matcher.ts'

const matches = (text: string, labels: Record<string, string>) =>
  labelsMatch([parseLabelMatcher(text)], labels)

describe('label matchers', () => {
  it('compares quoted and bare values', () => {
    expect(matches('severity="page"', { severity: 'page' })).toBe(true)
    expect(matches('severity = page', { severity: 'page' })).toBe(true)
    expect(matches('severity!="page"', { severity: 'page' })).toBe(false)
  })

  it('anchors regular expressions at both ends', () => {
    expect(matches('service=~"pdp"', { service: 'pdp-eu' })).toBe(false)
    expect(matches('service=~"pdp-.*"', { service: 'pdp-eu' })).toBe(true)
    expect(matches('service!~"pdp-.*"', { service: 'sso' })).toBe(true)
  })

  it('reads a missing label as empty', () => {
    expect(matches('service=""', {})).toBe(true)
    expect(matches('service!=""', {})).toBe(false)
  })

  it('explains what is wrong with a matcher', () => {
    expect(() => parseLabelMatcher('severity')).toThrow(/not of the form/)
    expect(() => parseLabelMatcher('a=~"("')).toThrow(/invalid regular expression/)
    expect(() => parseLabelMatcher('a="open')).toThrow(/quoted value/)
  })
})
