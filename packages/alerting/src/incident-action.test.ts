import { describe, expect, it } from 'vitest'
import { IncidentActionInvalidError } from './errors.ts'
import { parseIncidentAction } from './incident-action.ts'

const context = {
  id: 'a-1',
  tenant: 'acme',
  incidentKey: 'k1',
  actor: 'alice',
  now: 1_000_000,
  groupLabels: { alertname: 'SLOBurnRate', service: 'identity' },
}

const reason = (kind: string, body: unknown) => {
  try {
    parseIncidentAction(kind, body, context)
  } catch (error) {
    expect(error).toBeInstanceOf(IncidentActionInvalidError)
    return (error as Error).message
  }
  throw new Error('accepted')
}

describe('parseIncidentAction', () => {
  it('takes an acknowledgement with or without a comment', () => {
    expect(parseIncidentAction('ack', undefined, context)).toMatchObject({
      kind: 'ack',
      actor: 'alice',
      comment: '',
      at: 1_000_000,
      until: 0,
      matchers: [],
    })
    expect(parseIncidentAction('resolve', { comment: ' fixed ' }, context).comment).toBe('fixed')
  })

  it('snoozes for a duration', () => {
    expect(parseIncidentAction('snooze', { duration: '2h' }, context).until).toBe(1_000_000 + 7_200_000)
  })

  it('silences the incident group labels by default, or the matchers given', () => {
    const silence = parseIncidentAction('silence', { duration: '30m', comment: 'deploy' }, context)
    expect(silence.matchers).toEqual([
      { name: 'alertname', value: 'SLOBurnRate', isRegex: false, isEqual: true },
      { name: 'service', value: 'identity', isRegex: false, isEqual: true },
    ])
    const given = parseIncidentAction(
      'silence',
      { duration: '1h', comment: 'drill', matchers: ['service=~"pdp-.*"', 'env!="prod"'] },
      context,
    )
    expect(given.matchers).toEqual([
      { name: 'service', value: 'pdp-.*', isRegex: true, isEqual: true },
      { name: 'env', value: 'prod', isRegex: false, isEqual: false },
    ])
  })

  it('says what is wrong with a request', () => {
    expect(reason('mute', {})).toMatch(/unknown action "mute"/)
    expect(reason('snooze', {})).toMatch(/duration is required/)
    expect(reason('snooze', { duration: 'soon' })).toMatch(/not a duration/)
    expect(reason('snooze', { duration: '90d' })).toMatch(/at most 30d/)
    expect(reason('silence', { duration: '1h' })).toMatch(/comment is required/)
    expect(reason('silence', { duration: '1h', comment: 'x', matchers: ['not a matcher'] })).toMatch(
      /matcher/,
    )
    expect(reason('ack', { duration: '1h' })).toMatch(/unknown field\(s\): duration/)
    expect(reason('ack', [1])).toMatch(/JSON object/)
  })
})
