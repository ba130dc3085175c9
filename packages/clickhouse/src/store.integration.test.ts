import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AnyEvent, defaultRetentionDays, validateEvent } from '@palisade/schema'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCheckpointStore } from './checkpoint-store.ts'
import { dashboardQueries } from './dashboard-queries.ts'
import { applyEventRetention } from './event-retention.ts'
import { createEventWriter, findStoredEventIds } from './event-writer.ts'
import { createFindingStore } from './finding-store.ts'
import { type ClickHouseClient, openClickHouse } from './index.ts'
import { migrate, readMigrations } from './migrations.ts'
import { migrationsDir } from './migrations-dir.ts'
import { createQuarantineWriter } from './quarantine-writer.ts'

// The real ClickHouse engine, embedded through chDB, in a temporary data directory.
let client: ClickHouseClient
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-store-'))
  client = await openClickHouse({ kind: 'embedded', dataDir })
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

function event(kind: 'auth' | 'flow', record: Record<string, unknown>): AnyEvent {
  const result = validateEvent(kind, record, { tenant: 'acme', observedAt: Date.now() })
  if (!result.ok) throw new Error(result.reason)
  return result.event
}

const minute = Date.UTC(2026, 10, 23, 10, 0)

describe('migrate', () => {
  it('applies every migration once and records it', async () => {
    const first = await migrate(client, { dir: migrationsDir })
    expect(first).toEqual(readMigrations(migrationsDir).map((m) => m.version))
    expect(await migrate(client, { dir: migrationsDir })).toEqual([])
    const tables = await (await client.query({ query: 'SHOW TABLES', format: 'JSONEachRow' })).json<{
      name: string
    }>()
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['flow_events', 'auth_rollup_1m', 'findings', 'quarantine']),
    )
  })
})

describe('event writer', () => {
  it('stores a batch once even when it is written again, and the rollup counts it once', async () => {
    const writer = createEventWriter(client)
    const batch = [
      event('auth', { ts: minute + 1, service: 'sso', principal: 'ann@acme.io', outcome: 'success' }),
      event('auth', {
        ts: minute + 2,
        service: 'sso',
        principal: 'bob@acme.io',
        outcome: 'failure',
        failure_kind: 'user',
      }),
      event('auth', {
        ts: minute + 3,
        service: 'sso',
        principal: 'svc',
        outcome: 'failure',
        failure_kind: 'system',
      }),
    ]
    const first = await writer.write('auth', batch)
    expect(first.stored).toHaveLength(3)
    const retry = await writer.write('auth', [...batch, batch[0]!])
    expect(retry).toEqual({ stored: [], duplicates: 4 })

    const rows = await (
      await client.query({
        query: `SELECT sum(attempts) a, sum(successes) s, sum(user_failures) u, sum(system_failures) f
                FROM auth_rollup_1m WHERE tenant = {t:String} AND service = 'sso'`,
        query_params: { t: 'acme' },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
    ).json()
    expect(rows).toEqual([{ a: 3, s: 1, u: 1, f: 1 }])
  })

  it('finds the same stored ids by listing the key range and, when it holds more, by value', async () => {
    const writer = createEventWriter(client)
    const at = Date.UTC(2026, 10, 24, 9, 0)
    const stored = Array.from({ length: 30 }, (_, i) =>
      event('flow', { event_id: `probe-${i}`, ts: at + i, service: 'cart', dst_port: 443 }),
    )
    await writer.write('flow', stored)
    const asked = [
      ...stored.slice(0, 10),
      ...stored.slice(0, 5).map((e) => ({ ...e, event_id: `${e.event_id}-new` })),
    ]
    const expected = new Set(stored.slice(0, 10).map((e) => e.event_id))
    expect(await findStoredEventIds(client, 'flow_events', 'acme', asked)).toEqual(expected)
    // 30 rows in the range, at most 4 listed: asked by value.
    expect(await findStoredEventIds(client, 'flow_events', 'acme', asked, 4)).toEqual(expected)
  })

  it('keeps concurrent retries of the same batch to one copy', async () => {
    const writer = createEventWriter(client)
    const batch = [
      event('auth', { ts: minute + 10, service: 'vpn', principal: 'cy@acme.io', outcome: 'success' }),
    ]
    const results = await Promise.all([
      writer.write('auth', batch),
      writer.write('auth', batch),
      writer.write('auth', batch),
    ])
    expect(results.map((r) => r.stored.length).sort()).toEqual([0, 0, 1])
  })
})

describe('service graph', () => {
  it('folds a reply into the connection it answers: client → server:server_port', async () => {
    const writer = createEventWriter(client)
    const at = minute + 3_600_000
    const common = { service: 'dns', protocol: 'udp' as const }
    await writer.write('flow', [
      event('flow', {
        ...common,
        ts: at,
        src_identity: 'payments/ledger',
        dst_identity: 'kube-system/coredns',
        src_port: 59057,
        dst_port: 53,
        is_reply: false,
        server_port: 53,
      }),
      event('flow', {
        ...common,
        ts: at + 1,
        src_identity: 'kube-system/coredns',
        dst_identity: 'payments/ledger',
        src_port: 53,
        dst_port: 59057,
        is_reply: true,
        server_port: 53,
      }),
      event('flow', {
        ...common,
        ts: at + 2,
        src_identity: 'kube-system/coredns',
        dst_identity: 'payments/ledger',
        src_port: 53,
        dst_port: 59058,
        is_reply: true,
        server_port: 53,
      }),
    ])
    const edges = await dashboardQueries.service_graph(client, {
      tenant: 'acme',
      from: at,
      to: at + 10,
      stepMs: 60_000,
      limit: 10,
    })
    expect(edges.map(({ src, dst, dst_port, flows }) => ({ src, dst, dst_port, flows }))).toEqual([
      { src: 'payments/ledger', dst: 'kube-system/coredns', dst_port: 53, flows: 3 },
    ])
  })
})

describe('finding store', () => {
  it('stores a finding once and lists it back with its explanation', async () => {
    const store = createFindingStore(client)
    const finding = {
      finding_id: 'f-1',
      tenant: 'acme',
      ts: minute,
      detected_at: minute + 5,
      rule: 'lateral.new_edge',
      severity: 'ticket' as const,
      title: 'New edge',
      summary: 'web → db:5432 never seen',
      entities: { src_identity: 'web', dst_identity: 'db' },
      evidence: { event_ids: ['e1'] },
    }
    expect(await store.write([finding])).toHaveLength(1)
    expect(await store.write([finding])).toHaveLength(0)
    expect(await store.list({ tenant: 'acme' })).toEqual([finding])
    expect(await store.list({ tenant: 'other' })).toEqual([])
    expect(await store.list({ tenant: 'acme', severity: 'page' })).toEqual([])
  })

  it('lists by severity then time: a limited list keeps the page behind a burst of newer info', async () => {
    const store = createFindingStore(client)
    const finding = (id: string, ts: number, severity: 'page' | 'ticket' | 'info') => ({
      finding_id: id,
      tenant: 'sev',
      ts,
      detected_at: ts + 5,
      rule: 'auth.spray',
      severity,
      title: id,
      summary: id,
      entities: {},
      evidence: {},
    })
    await store.write([
      finding('old-page', minute, 'page'),
      finding('ticket', minute + 10, 'ticket'),
      ...Array.from({ length: 5 }, (_, i) => finding(`info-${i}`, minute + 100 + i, 'info')),
      finding('new-page', minute + 50, 'page'),
    ])
    const bySeverity = await store.list({ tenant: 'sev', limit: 4, order: 'severity' })
    expect(bySeverity.map((f) => f.finding_id)).toEqual(['new-page', 'old-page', 'ticket', 'info-4'])
    const byTime = await store.list({ tenant: 'sev', limit: 4 })
    expect(byTime.map((f) => f.finding_id)).toEqual(['info-4', 'info-3', 'info-2', 'info-1'])
  })
})

describe('event writer under bad input', () => {
  it('stores a backfill spanning more than 100 months in one write', async () => {
    const writer = createEventWriter(client)
    const months = Array.from({ length: 120 }, (_, i) =>
      event('auth', {
        ts: Date.UTC(2010, i, 1),
        service: 'backfill',
        principal: `u${i}@acme.io`,
        outcome: 'success',
      }),
    )
    expect((await writer.write('auth', months)).stored).toHaveLength(120)
  })

  it('does not fail the writes grouped with one that fails', async () => {
    const writer = createEventWriter(client)
    const good = [
      event('auth', { ts: minute + 100, service: 'group', principal: 'ok@acme.io', outcome: 'success' }),
    ]
    // A value the table cannot take: written around the validator, as a foreign producer could.
    const bad = [
      {
        ...event('auth', { ts: minute + 101, service: 'group', principal: 'x', outcome: 'success' }),
        observed_at: 'never',
      },
    ] as never[]
    const results = await Promise.allSettled([
      writer.write('auth', good),
      writer.write('auth', bad),
      writer.write('auth', good),
    ])
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  })
})

describe("event writer > the client's own JSON text", () => {
  /** A flow validated from its text, as the collector does it for our own NDJSON, with the text it gives. */
  function flowFromText(text: string): { event: AnyEvent; json: string } {
    const result = validateEvent('flow', JSON.parse(text), {
      tenant: 'acme',
      observedAt: Date.now(),
      jsonText: text,
    })
    if (!result.ok || result.json === undefined) throw new Error(result.ok ? 'no text' : result.reason)
    return { event: result.event, json: result.json }
  }

  async function bytesSent(eventId: string): Promise<string | undefined> {
    const result = await client.query({
      query: 'SELECT toString(bytes_sent) AS b FROM flow_events WHERE event_id = {id:String}',
      query_params: { id: eventId },
      format: 'JSONEachRow',
    })
    return (await result.json<{ b: string }>())[0]?.b
  }

  it('stores the text as it is, not the event encoded again', async () => {
    const flow = flowFromText(
      `{"event_id":"text-1","ts":${minute + 200},"service":"text","dst_port":443,"bytes_sent":5}`,
    )
    // Nothing changes an event after validation; here something does, to show which one is stored.
    ;(flow.event as { bytes_sent: number }).bytes_sent = 6
    const written = await createEventWriter(client).write('flow', [flow.event], { json: [flow.json] })
    expect(written.stored).toHaveLength(1)
    expect(await bytesSent('text-1')).toBe('5')
  })

  it('falls back to encoding the events when the engine refuses a text, and stores every event once', async () => {
    // A key written twice (JSON.parse keeps the last value) and an integer spelled as a float: the
    // engine refuses both texts.
    const twice = flowFromText(
      `{"event_id":"text-2","ts":${minute + 201},"service":"text","dst_port":443,"bytes_sent":1,"bytes_sent":7}`,
    )
    const float = flowFromText(
      `{"event_id":"text-3","ts":${minute + 202},"service":"text","dst_port":443.0,"bytes_sent":8}`,
    )
    const fine = flowFromText(`{"event_id":"text-4","ts":${minute + 203},"service":"text","dst_port":443}`)
    const batch = [fine, twice, float]
    const writer = createEventWriter(client)
    const write = () =>
      writer.write(
        'flow',
        batch.map((flow) => flow.event),
        { json: batch.map((flow) => flow.json) },
      )
    expect((await write()).stored).toHaveLength(3)
    expect(await bytesSent('text-2')).toBe('7')
    expect(await bytesSent('text-3')).toBe('8')
    expect(await write()).toEqual({ stored: [], duplicates: 3 })
  })
})

describe('quarantine writer', () => {
  it('keeps each rejected record once, however the deliveries are cut', async () => {
    const writer = createQuarantineWriter(client)
    const record = (line: number, raw: string) => ({
      tenant: 'acme',
      kind: 'flow',
      line,
      raw,
      reason: 'not valid JSON',
      request_id: `r-${line}`,
      received_at: minute,
    })
    await writer.write([record(1, 'bad one'), record(2, 'bad two')])
    // A redelivery in another batch, with other line numbers and request ids.
    await writer.write([record(7, 'bad two'), record(8, 'bad three')])
    const rows = await (
      await client.query({
        query: "SELECT raw FROM quarantine WHERE tenant = 'acme' ORDER BY raw",
        format: 'JSONCompactEachRow',
      })
    ).json<[string]>()
    expect(rows.flat()).toEqual(['bad one', 'bad three', 'bad two'])
  })
})

describe('settings on the embedded engine', () => {
  it('keeps an insert that names no token after one that did (chDB settings outlive their query)', async () => {
    const checkpoints = createCheckpointStore(client)
    await createEventWriter(client).write('auth', [
      event('auth', { ts: minute + 500, service: 'tokens', principal: 't@acme.io', outcome: 'success' }),
    ])
    await checkpoints.save('test.detector', [{ tenant: 'acme', key: 'k', state: { n: 1 } }])
    await checkpoints.save('test.detector', [{ tenant: 'acme', key: 'k', state: { n: 2 } }])
    expect(await checkpoints.load('test.detector')).toEqual([{ tenant: 'acme', key: 'k', state: { n: 2 } }])
  })
})

describe('retention', () => {
  const day = 86_400_000
  const flowAt = (ts: number | string, now: number, retention = defaultRetentionDays) =>
    validateEvent(
      'flow',
      { ts, dst_port: 1, service: 'retention' },
      { tenant: 'acme', observedAt: now, retention },
    )

  async function storedFlowTimes(): Promise<string[]> {
    // A merge applies the TTL: what survives it is what the store keeps.
    await client.command({ query: 'OPTIMIZE TABLE flow_events FINAL' })
    const result = await client.query({
      query: "SELECT ts FROM flow_events WHERE tenant = 'acme' AND service = 'retention' ORDER BY ts",
      format: 'JSONEachRow',
    })
    return (await result.json<{ ts: string }>()).map((row) => row.ts)
  }

  it('keeps every event the collector accepts at each boundary, and refuses the rest', async () => {
    await migrate(client, { dir: migrationsDir })
    await applyEventRetention(client, defaultRetentionDays)
    const now = Date.now()
    const boundaries = {
      insideRetention: now - 30 * day + 60_000,
      outsideRetention: now - 30 * day - 60_000,
      zero: 0,
      y2106: '2106-06-01T00:00:00.000Z',
      y2150: '2150-01-01T00:00:00.000Z',
      lastStored: '2299-12-31T23:59:59.999Z',
      afterLastStored: '2300-01-01T00:00:00.000Z',
    }
    const accepted: AnyEvent[] = []
    const refused: string[] = []
    for (const [name, ts] of Object.entries(boundaries)) {
      const result = flowAt(ts, now)
      if (result.ok) accepted.push(result.event)
      else refused.push(name)
    }
    expect(refused).toEqual(['outsideRetention', 'zero', 'afterLastStored'])
    await createEventWriter(client).write('flow', accepted)
    expect(await storedFlowTimes()).toEqual([
      new Date(boundaries.insideRetention).toISOString(),
      boundaries.y2106,
      boundaries.y2150,
      boundaries.lastStored,
    ])
  })

  it('keeps older events once the retention of their kind is raised (loading last quarter)', async () => {
    // The flows' entity index (0018) keeps the flows' retention.
    const now = Date.now()
    const quarter = { ...defaultRetentionDays, flow: 120 }
    expect(await applyEventRetention(client, quarter)).toEqual(['flow_events', 'flow_entity_index'])
    expect(await applyEventRetention(client, quarter)).toEqual([])
    const old = flowAt(now - 100 * day, now, quarter)
    expect(old.ok).toBe(true)
    if (!old.ok) return
    await createEventWriter(client).write('flow', [old.event])
    expect(await storedFlowTimes()).toContain(new Date(now - 100 * day).toISOString())
    // Back to 30 days: the old event goes with the next merge, as the configuration says.
    expect(await applyEventRetention(client, defaultRetentionDays)).toEqual([
      'flow_events',
      'flow_entity_index',
    ])
    await client.command({
      query: 'ALTER TABLE flow_events MATERIALIZE TTL',
      clickhouse_settings: { mutations_sync: '2' },
    })
    expect(await storedFlowTimes()).not.toContain(new Date(now - 100 * day).toISOString())
  })
})
