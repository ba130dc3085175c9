import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { ParseResult } from '../format-parser.ts'
import { elasticAwsWafRecords } from '../testing/waf-records.ts'
import { awsWafLogParser } from './aws-waf-log.ts'

function expectAllValid(result: ParseResult): void {
  for (const record of result.records) {
    const validation = validateEvent('decision', structuredClone(record.event), {
      tenant: 't',
      observedAt: 0,
    })
    expect(validation.ok ? 'ok' : `line ${record.line}: ${validation.reason}`).toBe('ok')
  }
}

function byLine(result: ParseResult, line: number): Record<string, unknown> {
  const record = result.records.find((candidate) => candidate.line === line)
  if (record === undefined) throw new Error(`no record from line ${line}`)
  return record.event
}

// Source: elastic/integrations packages/aws/data_stream/waf/_dev/test/pipeline/test-waf.log
// @ 9c26298c7d1b5d6545466708e2b704b976094e43 (the four records, see testing/waf-records.ts).
const elasticTestWaf = elasticAwsWafRecords.join('\n')

describe('aws-waf > Elastic test-waf.log', () => {
  const result = awsWafLogParser.parse(elasticTestWaf)

  it('maps all four records to valid decision events and rejects none', () => {
    expect(result.records.map((record) => record.line)).toEqual([1, 2, 3, 4])
    expect(result.rejected).toEqual([])
    expectAllValid(result)
  })

  it('maps a SQL injection blocked by a regular rule field by field', () => {
    expect(byLine(result, 1)).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      ts: 1576280412771,
      source: 'aws-waf',
      pdp: 'aws_waf',
      service: 'STMTest',
      enforcement_point: 'STMTest',
      decision: 'deny',
      policy_id: 'STMTest_SQLi_XSS',
      reason: 'block by STMTest_SQLi_XSS; SQL_INJECTION in HEADER: 10 AND 1',
      client_ip: '89.160.20.156',
      action: 'GET',
      resource: '/foo',
      request_id: 'rid',
      rule_actions: { STMTest_SQLi_XSS: 'block' },
    })
  })

  it('keeps a rule in count mode beside an allow by the default action, which is no triggered rule', () => {
    expect(byLine(result, 2)).toMatchObject({
      decision: 'allow',
      policy_id: 'Default_Action',
      enforcement_point: 'hello-world',
      rule_actions: { TestRule: 'count' },
    })
    expect(byLine(result, 2)).not.toHaveProperty('reason')
  })

  it("counts the block by the rule inside the group that decided, and the group's counted rule, by the group's name", () => {
    expect(byLine(result, 3)).toMatchObject({
      decision: 'deny',
      policy_id: 'RG-Reference',
      reason: 'block by RG-Reference (GROUP); XSS in HEADER: < frameset',
      rule_actions: {
        'hello-world/RuleA-XSS': 'block',
        'hello-world/RuleB-SQLi': 'count',
      },
    })
  })

  it('takes the protected resource from httpSourceId and drops a requestId of "null" and an empty uri', () => {
    const event = byLine(result, 4)
    expect(event).toMatchObject({ service: 'alb', enforcement_point: 'test', action: 'POST' })
    expect(event).not.toHaveProperty('request_id')
    expect(event).not.toHaveProperty('resource')
  })

  it('derives the same event ids from the same records (a replay adds nothing)', () => {
    const again = awsWafLogParser.parse(elasticTestWaf)
    expect(again.records.map((record) => record.event.event_id)).toEqual(
      result.records.map((record) => record.event.event_id),
    )
  })
})

// The CAPTCHA and rate-based shapes, from the AWS WAF Developer Guide ("CAPTCHA and Challenge
// actions in the logs and metrics", "Log examples": a rate-based block from API Gateway): the
// guide's fields and values, in records of the shape above.
describe('aws-waf > CAPTCHA, rate-based and bad records', () => {
  const captcha = JSON.stringify({
    timestamp: 1632420429000,
    formatVersion: 1,
    webaclId: 'arn:aws:wafv2:us-east-1:111122223333:regional/webacl/captcha-acl/1a2b',
    terminatingRuleId: 'captcha-rule',
    terminatingRuleType: 'REGULAR',
    action: 'CAPTCHA',
    terminatingRuleMatchDetails: [],
    httpSourceName: 'ALB',
    httpSourceId: '111122223333-app/my-alb/1234',
    ruleGroupList: [],
    rateBasedRuleList: [],
    nonTerminatingMatchingRules: [],
    responseCodeSent: 405,
    httpRequest: {
      clientIp: '2001:db8::1',
      country: 'DE',
      headers: [{ name: 'X-Request-Id', value: 'req-7' }],
      uri: '/signup',
      args: 'step=2',
      httpVersion: 'HTTP/2.0',
      httpMethod: 'POST',
    },
    captchaResponse: { responseCode: 405, solveTimestamp: 0, failureReason: 'TOKEN_MISSING' },
  })
  const rateBased = JSON.stringify({
    timestamp: 1683355579981,
    formatVersion: 1,
    webaclId: 'arn:aws:wafv2:eu-west-3:111122223333:regional/webacl/TEST-WEBACL/123',
    terminatingRuleId: 'RateBasedRule',
    terminatingRuleType: 'RATE_BASED',
    action: 'BLOCK',
    terminatingRuleMatchDetails: [],
    httpSourceName: 'APIGW',
    httpSourceId: 'EXAMPLE11:rjvegx5guh:CanaryTest',
    ruleGroupList: [],
    rateBasedRuleList: [
      { rateBasedRuleId: '123', rateBasedRuleName: 'RateBasedRule', limitKey: 'IP', maxRateAllowed: 100 },
    ],
    nonTerminatingMatchingRules: [
      {
        ruleId: 'captcha-rule',
        action: 'CAPTCHA',
        ruleMatchDetails: [],
        captchaResponse: { responseCode: 0, solveTimestamp: 1632420429 },
      },
    ],
    httpRequest: {
      clientIp: '52.46.82.45',
      country: 'FR',
      headers: [],
      uri: '/CanaryTest',
      args: '',
      httpVersion: 'HTTP/1.1',
      httpMethod: 'GET',
      requestId: 'Ed0AiHF_CGYF-DA=',
    },
  })

  it('counts a CAPTCHA that stopped the request as a deny, with why, and the x-request-id as the join key', () => {
    const [event] = awsWafLogParser.parse(captcha).records.map((record) => record.event)
    expect(event).toMatchObject({
      decision: 'deny',
      policy_id: 'captcha-rule',
      reason: 'captcha by captcha-rule; TOKEN_MISSING',
      client_ip: '2001:db8::1',
      resource: '/signup?step=2',
      request_id: 'req-7',
      service: '111122223333-app/my-alb/1234',
      rule_actions: { 'captcha-rule': 'captcha' },
    })
  })

  it('names a rate-based block and lists a CAPTCHA passed with a valid token as a non-deciding match', () => {
    const result = awsWafLogParser.parse(rateBased)
    expectAllValid(result)
    expect(result.records[0]?.event).toMatchObject({
      decision: 'deny',
      reason: 'block by RateBasedRule (RATE_BASED)',
      service: 'EXAMPLE11:rjvegx5guh:CanaryTest',
      rule_actions: { RateBasedRule: 'block', 'captcha-rule': 'captcha' },
    })
  })

  it('rejects a bad record with its reason and original bytes, and keeps reading the others', () => {
    const bad = '{"timestamp":"yesterday","action":"BLOCK"}'
    const input = [
      bad,
      '{"timestamp":1,"action":"EXPLODE","webaclId":"x","httpRequest":{}}',
      'not json',
      rateBased,
    ].join('\n')
    const result = awsWafLogParser.parse(input)
    expect(result.records.map((record) => record.line)).toEqual([4])
    expect(result.rejected.map(({ line, reason }) => [line, reason])).toEqual([
      [1, 'timestamp is missing or not epoch milliseconds'],
      [2, 'action "EXPLODE": expected ALLOW, BLOCK, CAPTCHA or CHALLENGE'],
      [3, expect.stringMatching(/^not valid JSON/)],
    ])
    expect(result.rejected[0]?.raw).toBe(bad)
  })
})
