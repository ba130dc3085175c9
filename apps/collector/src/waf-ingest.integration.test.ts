import { createInProcessBus, topics } from '@palisade/bus'
import { crs4BlockedModsecurityRecord, elasticAwsWafRecords } from '@palisade/formats/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serveCollector } from './testing/collector-server.ts'

// The collector's routes on a real HTTP server and the in-process bus: WAF logs in at
// /v1/ingest/aws-waf and /v1/ingest/modsecurity-audit, decision events and quarantined records out.
const bus = createInProcessBus({ acknowledgingGroups: ['store'] })
const decisions: Record<string, unknown>[] = []
const quarantined: Record<string, unknown>[] = []
let base: string
let close: () => Promise<void>

beforeAll(async () => {
  await bus.subscribe('store', [topics.events('decision'), topics.quarantine], async (batch) => {
    const values = batch.messages.map((message) => message.value as Record<string, unknown>)
    if (batch.topic === topics.quarantine) quarantined.push(...values)
    else decisions.push(...values)
  })
  const server = await serveCollector(bus, 'waf-test-token')
  base = server.url
  close = server.close
})
afterAll(() => close())

const post = (path: string, body: string) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { authorization: 'Bearer waf-test-token' }, body })

// Within the store's retention: Elastic's records are from 2019-2020, so their time moves to now.
const recent = Date.now() - 60_000

describe('collector > WAF formats', () => {
  it('stores AWS WAF records as decisions and quarantines a bad line with its bytes and reason', async () => {
    const lines = elasticAwsWafRecords.map((line, index) =>
      line.replace(/"timestamp":\d+/, `"timestamp":${recent + index}`),
    )
    const bad = '{"timestamp":"soon","action":"BLOCK"}'
    const response = await post('/v1/ingest/aws-waf', [...lines, bad].join('\n'))
    expect(response.status).toBe(200)
    const answer = (await response.json()) as { accepted: number; rejected: number; errors: unknown[] }
    expect(answer).toMatchObject({ accepted: 4, rejected: 1 })
    expect(answer.errors).toEqual([{ line: 5, reason: 'timestamp is missing or not epoch milliseconds' }])
    expect(decisions.filter((event) => event.pdp === 'aws_waf')).toHaveLength(4)
    expect(decisions).toContainEqual(
      expect.objectContaining({ client_ip: '89.160.20.156', decision: 'deny', enforcement_point: 'STMTest' }),
    )
    expect(quarantined).toContainEqual(
      expect.objectContaining({
        kind: 'aws-waf',
        line: 5,
        raw: bad,
        reason: 'timestamp is missing or not epoch milliseconds',
      }),
    )
  })

  it('stores a ModSecurity audit record with its time read in ?timezone=', async () => {
    const now = new Date(recent)
    // The record's ctime moved to a minute ago, written as a server in UTC+02:00 would.
    const wall = new Date(recent + 2 * 3600_000)
    const ctime = `${wall.toUTCString().slice(0, 3)} ${wall.toUTCString().slice(8, 11)} ${String(wall.getUTCDate()).padStart(2, ' ')} ${wall.toISOString().slice(11, 19)} ${wall.getUTCFullYear()}`
    const record = crs4BlockedModsecurityRecord.replace(/"time_stamp":"[^"]+"/, `"time_stamp":"${ctime}"`)
    const response = await post('/v1/ingest/modsecurity-audit?timezone=%2B02:00', record)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { accepted: number }).accepted).toBe(1)
    const stored = decisions.find((event) => event.pdp === 'modsecurity')
    expect(stored).toMatchObject({ decision: 'deny', policy_id: '949110', client_ip: '172.20.0.1' })
    expect(stored?.ts).toBe(Math.floor(now.getTime() / 1000) * 1000)
  })
})
