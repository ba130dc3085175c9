import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ClickHouseClient,
  createEventWriter,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { detectorCatalog } from '@palisade/detectors'
import { compileRules } from '@palisade/rules'
import { type Finding, validateEvent } from '@palisade/schema'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHuntRuleSchedule } from './hunt-rule-schedule.ts'

// Hunt rules on the real engine: a saved hunt runs on its schedule for each tenant with events,
// as that tenant, and its rows become findings.
let client: ClickHouseClient
let dataDir: string
const now = Date.now()

const RULE = `rules:
  - id: hunt.refund_denies
    detector: hunt
    title: Refunds denied again and again
    severity: ticket
    params:
      every: 5m
      lookback: 15m
      entity_columns: [subject]
      query: "SELECT subject, count() AS denies FROM decision WHERE decision = 'deny' GROUP BY subject HAVING denies >= 3 ORDER BY subject"
    dedup_period: 1h
    group_by: [subject]
    runbook_url: https://runbooks.palisade.example/hunts/refund-denies
    tests:
      - { name: fires, events: [], expect: [{}] }
      - { name: quiet, events: [], expect: [] }
`

function deny(tenant: string, subject: string, i: number) {
  const result = validateEvent(
    'decision',
    { ts: now - 60_000 - i * 1000, service: 'payments', subject, decision: 'deny', resource: '/v1/refund' },
    { tenant, observedAt: now },
  )
  if (!result.ok) throw new Error(result.reason)
  return result.event
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-hunt-schedule-'))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: migrationsDir })
  await createEventWriter(client).write('decision', [
    ...[0, 1, 2, 3].map((i) => deny('acme', 'user:mallory', i)),
    deny('acme', 'user:ann', 0),
    ...[0, 1, 2].map((i) => deny('globex', 'user:eve', i)),
  ])
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('hunt rule schedule', () => {
  it('runs a hunt rule per tenant with events, as that tenant, and publishes a finding per row', async () => {
    const { rules, problems } = compileRules([{ path: 'hunts.yaml', text: RULE }], detectorCatalog)
    expect(problems).toEqual([])
    const published: Finding[] = []
    let clock = now
    const schedule = createHuntRuleSchedule({
      client,
      rules,
      publish: async (findings) => {
        published.push(...findings)
      },
      onError: (_rule, error) => {
        throw error
      },
      now: () => clock,
    })
    expect(schedule.rules).toEqual(['hunt.refund_denies'])
    expect(await schedule.tick()).toBe(2)
    expect(published.map((f) => [f.tenant, f.entities.subject, f.rule, f.severity])).toEqual([
      ['acme', 'user:mallory', 'hunt.refund_denies', 'ticket'],
      ['globex', 'user:eve', 'hunt.refund_denies', 'ticket'],
    ])
    expect(published[0]?.evidence).toMatchObject({ row: { subject: 'user:mallory', denies: 4 } })
    // Not due again for 5 minutes; then the same row is the same finding (same id).
    clock += 60_000
    expect(await schedule.tick()).toBe(0)
    clock += 5 * 60_000
    const before = published.map((f) => f.finding_id)
    expect(await schedule.tick()).toBe(2)
    expect(published.slice(2).map((f) => f.finding_id)).toEqual(before)
  })
})
