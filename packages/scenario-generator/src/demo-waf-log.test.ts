import { formatParsers } from '@palisade/formats'
import { elasticAwsWafRecords } from '@palisade/formats/testing'
import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { generateDemoWafLog } from './demo-waf-log.ts'

const to = Date.UTC(2026, 10, 23, 16)
const from = to - 3 * 3_600_000
const incidentAt = to - 20 * 60_000
const parser = formatParsers.get('aws-waf')!

describe('generateDemoWafLog', () => {
  const lines = generateDemoWafLog({ seed: 7, from, to, incidentAt })
  const parsed = parser.parse(lines.join('\n'))

  it('writes what AWS WAF writes: the real records’ fields, parsed by the aws-waf format with nothing rejected', () => {
    const realKeys = new Set(elasticAwsWafRecords.flatMap((line) => Object.keys(JSON.parse(line))))
    const generatedKeys = new Set(lines.flatMap((line) => Object.keys(JSON.parse(line))))
    expect([...generatedKeys].filter((key) => !realKeys.has(key))).toEqual([])
    expect(parsed.rejected).toEqual([])
    expect(parsed.records).toHaveLength(lines.length)
    const invalid = parsed.records
      .map(({ kind, event }) => validateEvent(kind, event, { tenant: 't', observedAt: to }))
      .filter((result) => !result.ok)
    expect(invalid).toEqual([])
  })

  it('passes most requests, blocks the scanners by managed rules, and rate-limits only from the incident on', () => {
    const events = parsed.records.map((record) => record.event)
    const denied = events.filter((event) => event.decision === 'deny')
    expect(denied.length).toBeGreaterThan(0)
    expect(denied.length / events.length).toBeLessThan(0.2)
    const ruleIds = new Set(events.flatMap((event) => Object.keys((event.rule_actions as object) ?? {})))
    expect(ruleIds).toContain('AWSManagedRulesSQLiRuleSet/SQLi_QUERYARGUMENTS')
    expect(ruleIds).toContain('AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY')
    const rateLimited = events.filter((event) => event.policy_id === 'rate-limit-per-ip')
    expect(rateLimited.length).toBeGreaterThan(0)
    expect(rateLimited.every((event) => (event.ts as number) >= incidentAt)).toBe(true)
  })

  it('is deterministic for a seed and in time order', () => {
    expect(generateDemoWafLog({ seed: 7, from, to, incidentAt })).toEqual(lines)
    const times = lines.map((line) => JSON.parse(line).timestamp as number)
    expect(times).toEqual([...times].sort((a, b) => a - b))
  })
})
