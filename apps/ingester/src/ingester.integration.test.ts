import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BusMessage, createInProcessBus, topics } from '@palisade/bus'
import {
  type ClickHouseClient,
  createEventWriter,
  createFindingStore,
  createQuarantineWriter,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { defaultRetentionDays } from '@palisade/schema'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { subscribeIngester } from './ingester.ts'

// The ingester on the real embedded engine and the in-process bus (Kafka runs it the same way:
// apps/palisade/src/distributed.integration.test.ts).

let client: ClickHouseClient
const dataDir = mkdtempSync(join(tmpdir(), 'palisade-ingester-'))
const bus = createInProcessBus()
const parked: BusMessage[] = []
const registry = new Registry()
const t0 = Date.UTC(2026, 10, 23, 8)
const event = (i: number) => ({
  tenant: 'acme',
  event_id: `e-${i}`,
  ts: t0 + i,
  observed_at: t0,
  source: 'test',
  service: 'api',
  dst_port: 80,
  verdict: 'allowed',
  protocol: 'tcp',
})

beforeAll(async () => {
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: migrationsDir })
  await bus.subscribe(
    'dead-letter-reader',
    [topics.deadLetter],
    async (batch) => void parked.push(...batch.messages),
  )
  await subscribeIngester(
    bus,
    {
      events: createEventWriter(client),
      quarantine: createQuarantineWriter(client),
      findings: createFindingStore(client),
    },
    registry,
  )
})
afterAll(async () => {
  await client.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('ingester', () => {
  it('parks a message that can never be stored, keeps it in quarantine, and stores the rest of its batch', async () => {
    await bus.publish<unknown>(topics.events('flow'), [
      { key: 'k', value: event(1) },
      { key: 'k', value: { hello: 'world' } },
      { key: 'k', value: { ...event(3), ts: 'yesterday' } },
      { key: 'k', value: event(2) },
    ])
    expect(parked.map((message) => (message.value as { reason: string }).reason)).toEqual([
      'tenant missing',
      'ts is not an epoch-ms time',
    ])
    const rows = await (
      await client.query({
        query: 'SELECT event_id FROM flow_events ORDER BY event_id',
        format: 'JSONCompactEachRow',
      })
    ).json<[string]>()
    expect(rows.flat()).toEqual(['e-1', 'e-2'])
    const quarantined = await (
      await client.query({
        query: 'SELECT kind, reason FROM quarantine ORDER BY reason',
        format: 'JSONEachRow',
      })
    ).json<{ kind: string; reason: string }>()
    expect(quarantined).toEqual([
      { kind: 'dead-letter:palisade.flow.v1', reason: 'tenant missing' },
      { kind: 'dead-letter:palisade.flow.v1', reason: 'ts is not an epoch-ms time' },
    ])
  })

  it('stores a batch delivered twice once', async () => {
    const batch = [3, 4, 5].map((i) => ({ key: 'k', value: event(i) }))
    await bus.publish(topics.events('flow'), batch)
    await bus.publish(topics.events('flow'), batch)
    const [row] = await (
      await client.query({
        query: "SELECT count() FROM flow_events WHERE event_id IN ('e-3','e-4','e-5')",
        format: 'JSONCompactEachRow',
      })
    ).json<[string]>()
    expect(Number(row![0])).toBe(3)
  })

  it('keeps dead letters parked in either older shape in quarantine, as the one record type', async () => {
    await bus.publish<unknown>(topics.deadLetter, [
      {
        key: 'k',
        // What the Kafka bus parked for a message that was not JSON.
        value: {
          topic: topics.events('auth'),
          partition: 2,
          offset: '17',
          group: 'detector',
          raw: 'not json at all',
          reason: 'not JSON: Unexpected token',
        },
      },
      {
        key: 'k',
        // What the ingester parked for a message that was not an event.
        value: {
          topic: topics.events('auth'),
          position: { partition: 2, firstOffset: '18', lastOffset: '19' },
          reason: 'event_id missing',
          message: { tenant: 'acme', ts: 1 },
        },
      },
    ])
    // The dead-letter topic is consumed behind the publish (its own queue): wait for the rows.
    const quarantined = async () =>
      (
        await client.query({
          query:
            "SELECT tenant, raw, reason FROM quarantine WHERE kind = 'dead-letter:palisade.auth.v1' ORDER BY reason",
          format: 'JSONEachRow',
        })
      ).json<{ tenant: string; raw: string; reason: string }>()
    await expect.poll(async () => (await quarantined()).length, { timeout: 30_000 }).toBe(2)
    expect(await quarantined()).toEqual([
      { tenant: 'acme', raw: '{"tenant":"acme","ts":1}', reason: 'event_id missing' },
      { tenant: '', raw: 'not json at all', reason: 'not JSON: Unexpected token' },
    ])
    // Dated when the ingester received them (they carry no parked_at), not 1970: the quarantine's
    // 30-day TTL would remove rows of 1970 at its next merge.
    const [dated] = await (
      await client.query({
        query:
          "SELECT min(toUnixTimestamp64Milli(received_at)) AS oldest FROM quarantine WHERE kind = 'dead-letter:palisade.auth.v1'",
        format: 'JSONEachRow',
      })
    ).json<{ oldest: string }>()
    expect(Number(dated!.oldest)).toBeGreaterThan(Date.now() - 3_600_000)
  })

  it('counts the duplicates it dropped, times its writes and reports the newest event time per kind and source', async () => {
    const text = await registry.metrics()
    // The batch delivered twice above: its second delivery is three duplicates.
    expect(text).toMatch(/^palisade_ingester_rows_total\{kind="flow",outcome="duplicate"\} 3$/m)
    expect(text).toMatch(/^palisade_store_insert_duration_seconds_count\{kind="flow"\} [1-9]\d*$/m)
    expect(text).toMatch(
      new RegExp(
        `^palisade_ingester_newest_event_timestamp_seconds\\{kind="flow",source="test"\\} ${(t0 + 5) / 1000}$`,
        'm',
      ),
    )
  })
})

describe('ingester > retention', () => {
  it('quarantines an event whose retention passed while it waited on the bus, instead of storing it for the TTL to drop', async () => {
    const lagging = createInProcessBus()
    await subscribeIngester(
      lagging,
      {
        events: createEventWriter(client),
        quarantine: createQuarantineWriter(client),
        findings: createFindingStore(client),
      },
      undefined,
      defaultRetentionDays,
    )
    const now = Date.now()
    await lagging.publish(topics.events('flow'), [
      { key: 'k', value: { ...event(40), event_id: 'late', ts: now - 31 * 86_400_000 } },
      { key: 'k', value: { ...event(41), event_id: 'recent', ts: now - 60_000 } },
    ])
    const stored = await (
      await client.query({
        query: "SELECT event_id FROM flow_events WHERE event_id IN ('late', 'recent')",
        format: 'JSONCompactEachRow',
      })
    ).json<[string]>()
    expect(stored.flat()).toEqual(['recent'])
    const quarantined = await (
      await client.query({
        query: "SELECT kind, reason FROM quarantine WHERE kind LIKE 'expired:%'",
        format: 'JSONEachRow',
      })
    ).json<{ kind: string; reason: string }>()
    expect(quarantined).toEqual([
      { kind: `expired:${topics.events('flow')}`, reason: expect.stringContaining('30-day retention') },
    ])
  })
})
