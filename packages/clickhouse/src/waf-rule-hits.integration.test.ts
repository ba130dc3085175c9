import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AnyEvent, validateEvent } from '@palisade/schema'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardQueries } from './dashboard-queries.ts'
import { createEventWriter } from './event-writer.ts'
import { type ClickHouseClient, openClickHouse } from './index.ts'
import { migrate } from './migrations.ts'
import { migrationsDir } from './migrations-dir.ts'

// The real ClickHouse engine (chDB) with every migration: WAF decisions go in through the event
// writer as the collector stores them, the rule-hit view counts them, the panels read the rollup.
let client: ClickHouseClient
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-waf-'))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: migrationsDir })
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const minute = Date.UTC(2026, 10, 23, 10, 0)

function decision(tenant: string, record: Record<string, unknown>): AnyEvent {
  const result = validateEvent('decision', record, { tenant, observedAt: minute })
  if (!result.ok) throw new Error(result.reason)
  return result.event
}

/** A web ACL's decision, as the aws-waf format maps one (see packages/formats/src/waf). */
function wafDecision(tenant: string, index: number, clientIp: string, rules: Record<string, string>) {
  const blocked = Object.values(rules).includes('block')
  return decision(tenant, {
    ts: minute + index * 1000,
    source: 'aws-waf',
    pdp: 'aws_waf',
    service: 'E2ABCDEF',
    enforcement_point: 'prod-acl',
    decision: blocked ? 'deny' : 'allow',
    policy_id: blocked ? Object.keys(rules)[0] : 'Default_Action',
    reason: blocked ? `block by ${Object.keys(rules)[0]}; SQL_INJECTION in QUERY_STRING: 1 OR 1` : undefined,
    client_ip: clientIp,
    action: 'GET',
    resource: `/search?q=${index}`,
    request_id: `req-${index}`,
    rule_actions: rules,
  })
}

describe('top triggered WAF rules (migration 0014)', () => {
  it('counts every matched rule by action with its top clients, tenant by tenant', async () => {
    const writer = createEventWriter(client)
    const acme: AnyEvent[] = []
    // 30 blocks by the SQLi rule (20 from one scanner), 12 counted bot-control matches on allowed requests.
    for (let i = 0; i < 30; i++) {
      acme.push(
        wafDecision('acme', i, i < 20 ? '203.0.113.9' : `198.51.100.${i}`, {
          SQLi_QUERYARGUMENTS: 'block',
          'AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary': 'count',
        }),
      )
    }
    for (let i = 30; i < 42; i++) {
      acme.push(
        wafDecision('acme', i, '192.0.2.7', {
          'AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary': 'count',
        }),
      )
    }
    // A decision without rules (OPA) adds no rule row.
    acme.push(decision('acme', { ts: minute, decision: 'deny', subject: 'ann', policy_id: 'envoy/authz' }))
    await writer.write('decision', acme)
    await writer.write('decision', [wafDecision('globex', 1, '192.0.2.99', { OtherRule: 'block' })])

    const params = {
      tenant: 'acme',
      from: minute - 60_000,
      to: minute + 3_600_000,
      stepMs: 60_000,
      limit: 10,
    }
    const top = await dashboardQueries.top_waf_rules(client, params)
    expect(top.map(({ top_client_ips, ...row }) => row)).toEqual([
      {
        rule_id: 'AWSManagedRulesBotControlRuleSet/CategoryHttpLibrary',
        rule_action: 'count',
        enforcement_point: 'prod-acl',
        hit_count: 42,
        denied_count: 30,
      },
      {
        rule_id: 'SQLi_QUERYARGUMENTS',
        rule_action: 'block',
        enforcement_point: 'prod-acl',
        hit_count: 30,
        denied_count: 30,
      },
    ])
    // The scanner that sent 20 of the 30 blocked requests comes first.
    expect((top[1]?.top_client_ips as string[] | undefined)?.[0]).toBe('203.0.113.9')
    expect(top[0]?.top_client_ips).toContain('192.0.2.7')

    const globex = await dashboardQueries.top_waf_rules(client, { ...params, tenant: 'globex' })
    expect(globex.map((row) => row.rule_id)).toEqual(['OtherRule'])
  })

  it("shows a WAF deny's client address as the caller and its own words as the reason", async () => {
    const params = {
      tenant: 'acme',
      from: minute - 60_000,
      to: minute + 3_600_000,
      stepMs: 60_000,
      limit: 100,
    }
    const denied = await dashboardQueries.top_denied(client, params)
    const waf = denied.find((row) => row.request_id === 'req-0')
    expect(waf).toMatchObject({
      caller: '203.0.113.9',
      enforcement_point: 'prod-acl',
      reason: 'block by SQLi_QUERYARGUMENTS; SQL_INJECTION in QUERY_STRING: 1 OR 1',
      policy_id: 'SQLi_QUERYARGUMENTS',
    })
    // A deny whose source gives no reason still says which rule it was.
    expect(denied.find((row) => row.pdp === 'opa')).toMatchObject({
      caller: 'ann',
      reason: 'denied by envoy/authz',
    })
    expect(denied.every((row) => row.caller !== '')).toBe(true)
  })
})
