import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { ParseResult } from '../format-parser.ts'
import { crs4BlockedModsecurityRecord, elasticModsecurityRecords } from '../testing/waf-records.ts'
import { modsecurityAuditLogParser } from './modsecurity-audit-log.ts'

function expectAllValid(result: ParseResult): void {
  for (const record of result.records) {
    const validation = validateEvent('decision', structuredClone(record.event), {
      tenant: 't',
      observedAt: 0,
    })
    expect(validation.ok ? 'ok' : `line ${record.line}: ${validation.reason}`).toBe('ok')
  }
}

// Sources (see testing/waf-records.ts): elastic/integrations
// packages/modsecurity/data_stream/auditlog/_dev/test/pipeline/test-audit.log @ 9b3466402863,
// lines 1 and 7 (ModSecurity v3.0.2 and v3.0.4); a CRS 4 block by ModSecurity v3.0.16.
const elasticAudit = elasticModsecurityRecords.join('\n')
const crs4Blocked = crs4BlockedModsecurityRecord

describe('modsecurity-audit > Elastic test-audit.log (ModSecurity v3.0.2 and v3.0.4)', () => {
  const result = modsecurityAuditLogParser.parse(elasticAudit)

  it('maps both transactions to valid decision events', () => {
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => record.line)).toEqual([1, 2])
    expectAllValid(result)
  })

  it('maps a matched rule below the blocking score as an allow, field by field', () => {
    expect(result.records[0]?.event).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      ts: Date.UTC(2021, 4, 14, 14, 52, 47),
      source: 'modsecurity',
      pdp: 'modsecurity',
      service: '34.87.56.16',
      enforcement_point: 'c06217c4ac0d6f8892d2489cd5d92aaceec2508e',
      decision: 'allow',
      dry_run: false,
      policy_revision: 'OWASP_CRS/3.0.2',
      reason: '920350 Host header is a numeric IP address (34.87.56.16)',
      client_ip: '67.43.156.14',
      action: 'GET',
      resource: '/owa/',
      request_id: '162100396753.595789',
      rule_actions: { '920350': 'match' },
    })
  })

  it('reads a space-padded day, and a 403 with no rule matched is no deny of the WAF', () => {
    const event = result.records[1]?.event
    expect(event).toMatchObject({
      ts: Date.UTC(2022, 4, 9, 9, 41, 59),
      decision: 'allow',
      service: 'test.com.mm',
      request_id: '165208931921.140928',
    })
    expect(event).not.toHaveProperty('rule_actions')
    expect(event).not.toHaveProperty('reason')
  })

  it('takes the service from options.service over the Host a client chose', () => {
    const [event] = modsecurityAuditLogParser.parse(elasticAudit, { service: 'rides-api' }).records
    expect(event?.event.service).toBe('rides-api')
  })

  it("reads the server's local time in options.timezone", () => {
    const [event] = modsecurityAuditLogParser.parse(elasticAudit, { timezone: 'Asia/Yangon' }).records
    expect(event?.event.ts).toBe(Date.UTC(2021, 4, 14, 14, 52, 47) - 390 * 60_000)
  })
})

describe('modsecurity-audit > a CRS 4 block (ModSecurity v3.0.16)', () => {
  it('maps the interrupted transaction to a deny by the blocking-evaluation rule, the SQLi rule beside it', () => {
    const result = modsecurityAuditLogParser.parse(crs4Blocked)
    expectAllValid(result)
    expect(result.records[0]?.event).toMatchObject({
      ts: Date.UTC(2026, 6, 17, 18, 18, 21),
      decision: 'deny',
      dry_run: false,
      policy_id: '949110',
      policy_revision: 'OWASP_CRS/4.25.1',
      service: 'localhost',
      client_ip: '172.20.0.1',
      resource: '/rest/products/search?q=%27%20OR%201%3D1--',
      reason:
        "942100 SQL Injection Attack Detected via libinjection (Matched Data: s&1c found within ARGS:q: ' OR 1=1--); 949110 Inbound Anomaly Score Exceeded (Total Score: 5)",
      rule_actions: { '942100': 'match', '949110': 'block' },
    })
  })

  it('maps the same transaction under DetectionOnly as a dry-run deny that blocked nothing', () => {
    const detectionOnly = crs4Blocked
      .replace('"is_interrupted":true', '"is_interrupted":false')
      .replace('"secrules_engine":"Enabled"', '"secrules_engine":"DetectionOnly"')
    const [record] = modsecurityAuditLogParser.parse(detectionOnly).records
    expect(record?.event).toMatchObject({
      decision: 'deny',
      dry_run: true,
      policy_id: '949110',
      rule_actions: { '942100': 'match', '949110': 'match' },
    })
  })

  it('counts the block without is_interrupted (older libmodsecurity) from the blocking-evaluation rule', () => {
    const [record] = modsecurityAuditLogParser.parse(
      crs4Blocked.replace('"is_interrupted":true,', ''),
    ).records
    expect(record?.event).toMatchObject({ decision: 'deny', policy_id: '949110' })
  })
})

// Coraza's own JSON shape (corazawaf/coraza internal/auditlog/auditlog.go @ 1171659aefc94dcf8e098abed9361bb43450ab69:
// messages beside the transaction, rule data under "data", headers as lists, the time in ns).
describe('modsecurity-audit > Coraza JSON', () => {
  const coraza = JSON.stringify({
    transaction: {
      timestamp: '2026/02/22 09:00:00',
      unix_timestamp: 1771750800123000000,
      id: 'MSG111',
      client_ip: '10.0.0.1',
      client_port: 0,
      host_ip: '',
      host_port: 0,
      server_id: 'radarr.example',
      request: {
        method: 'GET',
        protocol: 'HTTP/1.1',
        uri: '/.env',
        http_version: '',
        headers: { 'User-Agent': ['curl/7.68'], 'X-Request-Id': ['abc-1'], Host: ['Radarr.Example:443'] },
      },
      response: { protocol: '', status: 403, headers: {}, body: '' },
      producer: {
        connector: '',
        version: '',
        server: '',
        rule_engine: 'On',
        stopwatch: '',
        rulesets: ['OWASP_CRS/4.15.0'],
      },
      highest_severity: '',
      is_interrupted: true,
    },
    messages: [
      {
        actionset: '',
        message: '',
        data: {
          file: 'REQUEST-930-APPLICATION-ATTACK-LFI.conf',
          line: 100,
          id: 930120,
          msg: 'OS File Access Attempt',
          data: 'Matched Data: .env found within REQUEST_FILENAME: /.env',
          severity: 2,
          tags: ['attack-lfi'],
        },
      },
      {
        actionset: '',
        message: '',
        data: {
          file: 'REQUEST-949-BLOCKING-EVALUATION.conf',
          line: 1,
          id: 949110,
          msg: 'Inbound Anomaly Score Exceeded',
          data: '',
          severity: 0,
          tags: ['anomaly-evaluation'],
        },
      },
      {
        actionset: '',
        message: '',
        data: { id: 980170, msg: 'Anomaly Scores: (Inbound Scores: blocking=5)', severity: 0 },
      },
    ],
  })

  it('reads the ns time, the list-valued headers and the numeric rule ids, and leaves the reporting rule out', () => {
    const result = modsecurityAuditLogParser.parse(coraza)
    expectAllValid(result)
    expect(result.records[0]?.event).toMatchObject({
      ts: 1771750800123,
      source: 'coraza',
      pdp: 'coraza',
      service: 'radarr.example',
      enforcement_point: 'radarr.example',
      decision: 'deny',
      policy_id: '949110',
      request_id: 'abc-1',
      rule_actions: { '930120': 'match', '949110': 'block' },
    })
  })
})

describe('modsecurity-audit > bad input', () => {
  it('rejects each bad record with a reason and its original bytes, and maps the rest', () => {
    const noTime = '{"transaction":{"client_ip":"10.0.0.1","time_stamp":"yesterday"}}'
    const input = [noTime, '{"request":{}}', '{"transaction":', crs4Blocked].join('\n')
    const result = modsecurityAuditLogParser.parse(input)
    expect(result.records.map((record) => record.line)).toEqual([4])
    expect(result.rejected.map(({ line, reason }) => [line, reason])).toEqual([
      [1, expect.stringMatching(/^no time: expected time_stamp as ctime/)],
      [2, 'no "transaction" object: not a ModSecurity or Coraza JSON audit record'],
      [3, expect.stringMatching(/^not valid JSON/)],
    ])
    expect(result.rejected[0]?.raw).toBe(noTime)
  })

  it('rejects every record with the problem of a time zone it does not know', () => {
    const result = modsecurityAuditLogParser.parse(crs4Blocked, { timezone: 'Mars/Olympus' })
    expect(result.records).toEqual([])
    expect(result.rejected[0]?.reason).toMatch(/^options.timezone "Mars\/Olympus"/)
  })

  it('refuses a day that does not exist', () => {
    const result = modsecurityAuditLogParser.parse(crs4Blocked.replace('Fri Jul 17', 'Fri Feb 30'))
    expect(result.rejected).toHaveLength(1)
  })
})
