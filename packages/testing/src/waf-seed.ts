import { formatParsers } from '@palisade/formats'
import { type AnyEvent, validateEvent } from '@palisade/schema'
import { TestHarnessError } from './errors.ts'

const MINUTE = 60_000

/** A client sweeping the shop for SQL injection, behind both WAFs. */
const scanner = '203.0.113.45'

/** AWS WAF log lines of the shop's CloudFront web ACL, as AWS writes them (see the aws-waf format). */
function awsWafLines(now: number): string[] {
  const lines: string[] = []
  const base = {
    formatVersion: 1,
    webaclId: 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/shop-edge-acl/0c1d2e3f',
    httpSourceName: 'CF',
    httpSourceId: 'E2SHOPCF01',
    rateBasedRuleList: [],
    labels: [],
  }
  const request = (clientIp: string, uri: string, args: string, index: number) => ({
    clientIp,
    country: 'NL',
    headers: [{ name: 'Host', value: 'shop.acme.io' }],
    uri,
    args,
    httpVersion: 'HTTP/2.0',
    httpMethod: 'GET',
    requestId: `cf-${index}`,
  })
  for (let m = 0; m < 360; m += 4) {
    const ts = now - m * MINUTE - 17_000
    // The scanner's SQL injection, blocked by the AWS managed SQLi rule group.
    lines.push(
      JSON.stringify({
        ...base,
        timestamp: ts,
        terminatingRuleId: 'AWS-AWSManagedRulesSQLiRuleSet',
        terminatingRuleType: 'MANAGED_RULE_GROUP',
        action: 'BLOCK',
        terminatingRuleMatchDetails: [
          { conditionType: 'SQL_INJECTION', location: 'QUERY_STRING', matchedData: ['1', 'OR', '1'] },
        ],
        ruleGroupList: [
          {
            ruleGroupId: 'AWS#AWSManagedRulesSQLiRuleSet',
            terminatingRule: { ruleId: 'SQLi_QUERYARGUMENTS', action: 'BLOCK' },
            nonTerminatingMatchingRules: [],
            excludedRules: null,
          },
        ],
        nonTerminatingMatchingRules: [],
        httpRequest: request(m % 12 === 0 ? '198.51.100.23' : scanner, '/search', 'q=1%27+OR+1%3D1', m),
      }),
    )
    // Scripted clients the bot-control group only counts (staged in count mode).
    for (let i = 0; i < 2; i++) {
      lines.push(
        JSON.stringify({
          ...base,
          timestamp: ts - (i + 1) * 1000,
          terminatingRuleId: 'Default_Action',
          terminatingRuleType: 'REGULAR',
          action: 'ALLOW',
          terminatingRuleMatchDetails: [],
          ruleGroupList: [
            {
              ruleGroupId: 'AWS#AWSManagedRulesBotControlRuleSet',
              terminatingRule: null,
              nonTerminatingMatchingRules: [{ ruleId: 'CategoryHttpLibrary', action: 'COUNT' }],
              excludedRules: null,
            },
          ],
          nonTerminatingMatchingRules: [],
          httpRequest: request(`192.0.2.${10 + ((m + i) % 5)}`, '/api/products', '', m * 10 + i),
        }),
      )
    }
    // A login flood past the rate limit, 40 to 60 minutes ago.
    if (m >= 40 && m <= 60) {
      lines.push(
        JSON.stringify({
          ...base,
          timestamp: ts - 3000,
          terminatingRuleId: 'rate-limit-login',
          terminatingRuleType: 'RATE_BASED',
          action: 'BLOCK',
          terminatingRuleMatchDetails: [],
          ruleGroupList: [],
          nonTerminatingMatchingRules: [],
          httpRequest: { ...request('192.0.2.77', '/login', '', m * 100), httpMethod: 'POST' },
        }),
      )
    }
  }
  return lines
}

/** ModSecurity v3 audit lines of the storefront's nginx: the scanner blocked by the Core Rule Set. */
function modsecurityLines(now: number): string[] {
  const lines: string[] = []
  for (let m = 2; m < 360; m += 12) {
    const at = new Date(now - m * MINUTE - 29_000)
    // ctime in UTC, as a server whose local time is UTC writes it ("Fri Jul 17 18:18:21 2026").
    const [weekday, day, month, year, time] = at.toUTCString().replace(',', '').split(' ')
    const stamp = `${weekday} ${month} ${String(Number(day)).padStart(2, ' ')} ${time} ${year}`
    lines.push(
      JSON.stringify({
        transaction: {
          client_ip: scanner,
          time_stamp: stamp,
          server_id: 'storefront-waf',
          client_port: 51000 + m,
          host_ip: '10.0.4.12',
          host_port: 443,
          unique_id: `msc-${m}`,
          is_interrupted: true,
          request: {
            method: 'GET',
            http_version: '1.1',
            uri: `/products?id=${m}%27%20UNION%20SELECT%201--`,
            headers: { Host: 'storefront.acme.io', 'X-Request-Id': `msc-req-${m}` },
          },
          response: { http_code: 403, headers: {} },
          producer: {
            modsecurity: 'ModSecurity v3.0.16 (Linux)',
            connector: 'ModSecurity-nginx v1.0.4',
            secrules_engine: 'Enabled',
            components: ['OWASP_CRS/4.25.1"'],
          },
          messages: [
            {
              message: 'SQL Injection Attack Detected via libinjection',
              details: {
                ruleId: '942100',
                data: `Matched Data: 1UE1c found within ARGS:id: ${m}' UNION SELECT 1--`,
                severity: '2',
              },
            },
            {
              message: 'Inbound Anomaly Score Exceeded (Total Score: 5)',
              details: { ruleId: '949110', data: '', severity: '0' },
            },
          ],
        },
      }),
    )
  }
  return lines
}

/**
 * The WAF decisions of tenant `tenant` over the six hours before `now`: AWS WAF and ModSecurity
 * lines run through their real formats, so the seeded rows are what the collector would store.
 */
export function seedWafDecisions(tenant: string, now: number): AnyEvent[] {
  const events: AnyEvent[] = []
  for (const [format, lines] of [
    ['aws-waf', awsWafLines(now)],
    ['modsecurity-audit', modsecurityLines(now)],
  ] as const) {
    const parsed = formatParsers.get(format)?.parse(lines.join('\n'))
    if (!parsed || parsed.rejected.length > 0) {
      throw new TestHarnessError(
        'HARNESS_MISUSED',
        `seed ${format}: ${parsed?.rejected[0]?.reason ?? 'no format'}`,
      )
    }
    for (const record of parsed.records) {
      const result = validateEvent('decision', record.event, { tenant, observedAt: now })
      if (!result.ok) throw new TestHarnessError('HARNESS_MISUSED', `seed ${format}: ${result.reason}`)
      events.push(result.event)
    }
  }
  return events
}
