// AWS WAF logs (AWS WAF Developer Guide, "Log fields for protection pack (web ACL) traffic"; the
// same JSON whether delivered to CloudWatch Logs, S3 or Data Firehose), one record per line:
//   {"timestamp": epoch ms, "formatVersion": 1, "webaclId": ARN ".../webacl/<name>/<id>",
//    "terminatingRuleId": rule name | "Default_Action", "terminatingRuleType": "REGULAR" |
//      "RATE_BASED" | "GROUP" | "MANAGED_RULE_GROUP",
//    "action": "ALLOW" | "BLOCK" | "CAPTCHA" | "CHALLENGE",
//    "terminatingRuleMatchDetails": [{"conditionType": "SQL_INJECTION" | "XSS", "location", "matchedData": [...]}],
//    "httpSourceName": "ALB" | "CF" | "APIGW" | "APPSYNC" | ... | "-", "httpSourceId": resource id | "-",
//    "ruleGroupList": [{"ruleGroupId", "terminatingRule": {"ruleId", "action"} | null,
//                       "nonTerminatingMatchingRules": [{"ruleId", "action"}], "excludedRules": [...] | null}],
//    "rateBasedRuleList": [{"rateBasedRuleName", "limitKey", "maxRateAllowed", ...}],
//    "nonTerminatingMatchingRules": [{"ruleId", "action": "COUNT" | "CAPTCHA" | "CHALLENGE", "ruleMatchDetails"}],
//    "httpRequest": {"clientIp", "country", "headers": [{"name", "value"}], "uri", "args",
//                    "httpVersion", "httpMethod", "requestId"},
//    "labels": [{"name"}], "responseCodeSent": int | null,
//    "captchaResponse" / "challengeResponse": {"responseCode", "solveTimestamp", "failureReason"}}
//
// Each record is one decision of the web ACL (the enforcement point). ALLOW is an allow; BLOCK is a
// deny; a terminating CAPTCHA or CHALLENGE is a deny too: the request did not reach the origin
// (AWS answers 405 or 202 with the puzzle instead). Rules that matched without deciding (COUNT, a
// CAPTCHA whose token was valid, rules inside the group that decided) are listed in `rule_actions`
// beside the one that decided, so that "top triggered rules" sees rules staged in count mode.

import { deriveEventId } from '@palisade/schema'
import type { FormatParser, ParseResult } from '../format-parser.ts'
import { readJsonBody } from '../identity/json-body.ts'
import { clippedText, ipAddressOf, objectOf, textOf } from '../identity/source-values.ts'
import { addRuleAction, httpMethodOf, type RuleActions, reasonText, withQuery } from './waf-fields.ts'

type Verdict = { decision: 'allow' | 'deny'; action: 'allow' | 'block' | 'captcha' | 'challenge' }

const verdicts: Record<string, Verdict> = {
  ALLOW: { decision: 'allow', action: 'allow' },
  BLOCK: { decision: 'deny', action: 'block' },
  CAPTCHA: { decision: 'deny', action: 'captcha' },
  CHALLENGE: { decision: 'deny', action: 'challenge' },
}

/** What a non-terminating match did, in our words; AWS writes COUNT, CAPTCHA or CHALLENGE. */
function nonTerminatingAction(value: unknown): 'count' | 'captcha' | 'challenge' | 'block' | 'allow' {
  const action = typeof value === 'string' ? value.toUpperCase() : ''
  if (action === 'CAPTCHA') return 'captcha'
  if (action === 'CHALLENGE') return 'challenge'
  // Inside a rule group the rule that ended the group's evaluation has BLOCK/ALLOW.
  if (action === 'BLOCK') return 'block'
  if (action === 'ALLOW') return 'allow'
  return 'count'
}

/** The name of a web ACL or rule group from its ARN (`.../webacl/<name>/<id>`), else the id as written. */
function nameFromArn(id: string, kind: 'webacl' | 'rulegroup'): string {
  const match = new RegExp(`/${kind}/([^/]+)/`).exec(id)
  return match?.[1] ?? id
}

/** A rule group's short name: its ARN's name, or the vendor/name of a managed group (`AWS#AWSManagedRulesSQLiRuleSet`). */
function ruleGroupName(id: string): string {
  const arnName = nameFromArn(id, 'rulegroup')
  return arnName.includes('#') ? (arnName.split('#').pop() ?? arnName) : arnName
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

/** Every rule that matched: the terminating rule, the rules of rule groups, the counted rules. */
function ruleActionsOf(record: Record<string, unknown>, verdict: Verdict): RuleActions {
  const rules: RuleActions = {}
  const groups = asArray(record.ruleGroupList)
  const terminating = textOf(record.terminatingRuleId)
  // The web ACL's default action is no rule that triggered; a rule-group reference that decided is
  // counted by the rule inside the group that did (more telling, and one request counts once).
  const decidedInsideGroup = groups.some((group) =>
    textOf(objectOf(objectOf(group)?.terminatingRule)?.ruleId),
  )
  if (terminating !== undefined && terminating !== 'Default_Action' && !decidedInsideGroup) {
    addRuleAction(rules, terminating, verdict.action)
  }
  for (const element of groups) {
    const group = objectOf(element)
    const groupId = textOf(group?.ruleGroupId)
    if (group === undefined || groupId === undefined) continue
    const name = ruleGroupName(groupId)
    const inner = objectOf(group.terminatingRule)
    const innerId = textOf(inner?.ruleId)
    if (innerId !== undefined) addRuleAction(rules, `${name}/${innerId}`, nonTerminatingAction(inner?.action))
    for (const match of asArray(group.nonTerminatingMatchingRules)) {
      const id = textOf(objectOf(match)?.ruleId)
      if (id !== undefined)
        addRuleAction(rules, `${name}/${id}`, nonTerminatingAction(objectOf(match)?.action))
    }
    // Rules overridden to count (EXCLUDED_AS_COUNT) are logged here when they matched.
    for (const excluded of asArray(group.excludedRules)) {
      const id = textOf(objectOf(excluded)?.ruleId)
      if (id !== undefined) addRuleAction(rules, `${name}/${id}`, 'count')
    }
  }
  for (const match of asArray(record.nonTerminatingMatchingRules)) {
    const id = textOf(objectOf(match)?.ruleId)
    if (id !== undefined) addRuleAction(rules, id, nonTerminatingAction(objectOf(match)?.action))
  }
  return rules
}

/** "SQL_INJECTION in HEADER: 10 AND 1": what the deciding rule matched, as the log details it. */
function matchDetailsText(details: unknown): string | undefined {
  const parts = asArray(details).flatMap((element) => {
    const detail = objectOf(element)
    const condition = textOf(detail?.conditionType)
    if (detail === undefined || condition === undefined) return []
    const location = textOf(detail.location)
    const data = asArray(detail.matchedData).filter((value) => typeof value === 'string')
    const where = location !== undefined ? ` in ${location}` : ''
    return [`${condition}${where}${data.length > 0 ? `: ${data.join(' ')}` : ''}`]
  })
  return parts.length > 0 ? parts.join('; ') : undefined
}

/** Why the web ACL decided as it did, in its own words; undefined for the default action. */
function reasonOf(record: Record<string, unknown>, verdict: Verdict): string | undefined {
  const rule = textOf(record.terminatingRuleId)
  if (rule === undefined || rule === 'Default_Action') return undefined
  const type = textOf(record.terminatingRuleType)
  const parts: string[] = [`${verdict.action} by ${rule}${type && type !== 'REGULAR' ? ` (${type})` : ''}`]
  const details = matchDetailsText(record.terminatingRuleMatchDetails)
  if (details !== undefined) parts.push(details)
  const challenge = objectOf(record.captchaResponse) ?? objectOf(record.challengeResponse)
  const failure = textOf(challenge?.failureReason)
  if (failure !== undefined) parts.push(failure)
  return reasonText(parts)
}

/** A request header's value by name, whatever its case (AWS keeps the case the client sent). */
function headerOf(headers: unknown, name: string): string | undefined {
  for (const element of asArray(headers)) {
    const header = objectOf(element)
    if (typeof header?.name === 'string' && header.name.toLowerCase() === name) return textOf(header.value)
  }
  return undefined
}

/** Map one AWS WAF log record to a decision event, or give the reason it cannot be. */
function mapRecord(record: Record<string, unknown>): Record<string, unknown> | string {
  const ts = record.timestamp
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < 0) {
    return 'timestamp is missing or not epoch milliseconds'
  }
  const verdict = verdicts[String(record.action).toUpperCase()]
  if (verdict === undefined)
    return `action "${String(record.action)}": expected ALLOW, BLOCK, CAPTCHA or CHALLENGE`
  const webAcl = textOf(record.webaclId)
  if (webAcl === undefined) return 'webaclId is missing: no enforcement point to name'
  const http = objectOf(record.httpRequest)
  if (http === undefined) return 'httpRequest is missing: not an AWS WAF log record'
  const source = textOf(record.httpSourceId)
  const requestId = textOf(http.requestId)
  const rules = ruleActionsOf(record, verdict)
  const mapped: Record<string, unknown> = {
    event_id: deriveEventId('aws-waf', record),
    ts,
    source: 'aws-waf',
    pdp: 'aws_waf',
    // The protected resource (distribution, load balancer, API stage) AWS names; the web ACL when
    // the log has none ("-"). Not the Host header: a client chooses that, and scanners vary it.
    service: clippedText(
      source !== undefined && source !== '-' ? source : nameFromArn(webAcl, 'webacl'),
      256,
    ),
    enforcement_point: clippedText(nameFromArn(webAcl, 'webacl'), 256),
    decision: verdict.decision,
    policy_id: clippedText(record.terminatingRuleId, 256),
    reason: reasonOf(record, verdict),
    client_ip: ipAddressOf(http.clientIp),
    action: httpMethodOf(http.httpMethod),
    resource: withQuery(textOf(http.uri), textOf(http.args)),
    // CloudFront's and the load balancer's own request id ("null" where AWS had none); else the
    // x-request-id the client or a proxy set, which access logs and traces carry.
    request_id: clippedText(
      requestId !== undefined ? requestId : headerOf(http.headers, 'x-request-id'),
      256,
    ),
    rule_actions: Object.keys(rules).length > 0 ? rules : undefined,
  }
  for (const key of Object.keys(mapped)) if (mapped[key] === undefined) delete mapped[key]
  return mapped
}

/** AWS WAF (v2) logs: one JSON record per line, as CloudWatch Logs, S3 and Data Firehose deliver them. */
export const awsWafLogParser: FormatParser = {
  name: 'aws-waf',
  description: 'AWS WAF logs: one JSON record per line (CloudWatch Logs, S3 or Data Firehose delivery)',
  kinds: ['decision'],
  parse(input): ParseResult {
    const result: ParseResult = { records: [], rejected: [] }
    let records: ReturnType<typeof readJsonBody>
    try {
      records = readJsonBody(input, () => undefined)
    } catch (error) {
      result.rejected.push({ line: 1, raw: input, reason: `not a JSON array: ${(error as Error).message}` })
      return result
    }
    for (const { line, raw, value, reason } of records) {
      const record = objectOf(value)
      const mapped = reason ?? (record ? mapRecord(record) : 'AWS WAF log record is not a JSON object')
      if (typeof mapped === 'string') result.rejected.push({ line, raw, reason: mapped })
      else result.records.push({ line, raw, kind: 'decision', event: mapped })
    }
    return result
  },
}
