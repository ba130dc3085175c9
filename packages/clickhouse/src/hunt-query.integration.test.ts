import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AnyEvent, validateEvent } from '@palisade/schema'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HuntRefusedError } from './errors.ts'
import { createEventWriter } from './event-writer.ts'
import { defaultHuntLimits, type HuntRequest, runHunt } from './hunt-query.ts'
import { type ClickHouseClient, openClickHouse } from './index.ts'
import { migrate } from './migrations.ts'
import { migrationsDir } from './migrations-dir.ts'
import { createSavedHuntStore } from './saved-hunt-store.ts'

// Hunts on the real engine (chDB) over two tenants' decisions: what runs, and what is refused.
let client: ClickHouseClient
let dataDir: string
const start = Date.UTC(2026, 10, 23, 10, 0)
const range = { from: start - 3600_000, to: start + 3600_000 }

function decision(tenant: string, i: number, verdict: 'allow' | 'deny'): AnyEvent {
  const result = validateEvent(
    'decision',
    {
      ts: start + i * 1000,
      service: 'payments',
      request_id: `${tenant}-req-${i}`,
      pdp: 'opa',
      enforcement_point: 'envoy-sidecar',
      subject: `user:${tenant}-${i % 3}`,
      action: 'POST',
      resource: '/v1/payments',
      decision: verdict,
      policy_id: 'payments.default',
      policy_revision: 'r7',
    },
    { tenant, observedAt: start },
  )
  if (!result.ok) throw new Error(result.reason)
  return result.event
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-hunt-'))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: migrationsDir })
  const writer = createEventWriter(client)
  await writer.write('decision', [
    ...Array.from({ length: 30 }, (_, i) => decision('acme', i, i % 10 === 0 ? 'deny' : 'allow')),
    ...Array.from({ length: 20 }, (_, i) => decision('globex', i, 'deny')),
  ])
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const hunt = (query: string, extra: Partial<HuntRequest> = {}) =>
  runHunt(client, { tenant: 'acme', query, ...range, ...extra })

async function refusal(promise: Promise<unknown>): Promise<HuntRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(HuntRefusedError)
  return error as HuntRefusedError
}

describe('runHunt', () => {
  it('answers a SELECT over the hunt tables with columns, types and rows, for the signed-in tenant only', async () => {
    const result = await hunt(
      `SELECT subject, count() AS denies FROM decision WHERE decision = 'deny' GROUP BY subject ORDER BY subject`,
    )
    expect(result.columns).toEqual([
      { name: 'subject', type: 'String' },
      { name: 'denies', type: 'UInt64' },
    ])
    expect(result.rows).toEqual([
      ['user:acme-0', 1],
      ['user:acme-1', 1],
      ['user:acme-2', 1],
    ])
    expect(result.truncated).toBe(false)
    expect(result.tables).toEqual(['decision'])
  })

  it('never shows another tenant: the hunt tables have no tenant column and hold one tenant', async () => {
    const all = await hunt('SELECT count() AS n, uniqExact(request_id) AS ids FROM decision')
    expect(all.rows).toEqual([[30, 30]])
    const error = await refusal(hunt(`SELECT * FROM decision WHERE tenant = 'globex'`))
    expect(error.reason).toBe('invalid')
    expect(error.message).toMatch(/tenant/)
  })

  it("refuses reading another tenant's rows from the stored table, with the reason", async () => {
    const error = await refusal(hunt(`SELECT * FROM decision_events WHERE tenant = 'globex'`))
    expect(error.reason).toBe('stored_table')
    expect(error.message).toContain('decision_events is read through its tenant-scoped hunt table')
    const viaIn = await refusal(
      hunt('SELECT count() FROM decision WHERE request_id IN (SELECT request_id FROM decision_events)'),
    )
    expect(viaIn.reason).toBe('stored_table')
  })

  it('refuses a write, and a second statement after a SELECT, with the reason', async () => {
    const write = await refusal(hunt(`INSERT INTO decision_events (tenant, event_id) VALUES ('acme', 'x')`))
    expect(write.reason).toBe('write')
    expect(write.message).toContain('hunts only read')
    const second = await refusal(hunt('SELECT 1; DROP TABLE decision_events'))
    expect(second.reason).toBe('multiple_statements')
    const stillThere = await hunt('SELECT count() FROM decision')
    expect(stillThere.rows).toEqual([[30]])
  })

  it('refuses system tables and other databases, with the reason', async () => {
    const system = await refusal(hunt('SELECT name FROM system.tables'))
    expect(system.reason).toBe('system_table')
    expect(system.message).toContain('system tables are not readable')
    const qualified = await refusal(hunt('SELECT * FROM default.decision_events'))
    expect(qualified.reason).toBe('other_database')
  })

  it('refuses table functions (file, url, remote, s3, numbers) and file-reading functions, with the reason', async () => {
    for (const call of [
      "file('/etc/passwd')",
      "url('http://127.0.0.1/')",
      "remote('127.0.0.1', default.flow_events)",
      "s3('http://x/y')",
      'numbers(1e12)',
    ]) {
      const error = await refusal(hunt(`SELECT * FROM ${call}`))
      expect(error.reason).toBe('table_function')
      expect(error.message).toContain('table functions are not allowed')
    }
    const scalar = await refusal(hunt("SELECT file('/etc/passwd') FROM decision"))
    expect(scalar.reason).toBe('function')
  })

  it('refuses SETTINGS overrides, output clauses and query parameters, with the reason', async () => {
    expect((await refusal(hunt('SELECT * FROM decision SETTINGS max_rows_to_read = 0'))).reason).toBe(
      'settings',
    )
    expect((await refusal(hunt("SELECT * FROM decision INTO OUTFILE '/tmp/x.csv'"))).reason).toBe('output')
    expect((await refusal(hunt('SELECT * FROM decision WHERE service = {s:String}'))).reason).toBe(
      'parameters',
    )
  })

  it('refuses an unbounded scan: a range beyond the bound, and a scan beyond the rows a hunt may read', async () => {
    const wide = await refusal(hunt('SELECT count() FROM decision', { from: 0, to: range.to }))
    expect(wide.reason).toBe('range')
    expect(wide.message).toContain('at most 31 days')
    const scan = await refusal(
      runHunt(
        client,
        { tenant: 'acme', query: 'SELECT * FROM decision', ...range },
        { ...defaultHuntLimits, maxRowsToRead: 10 },
      ),
    )
    expect(scan.reason).toBe('scan')
    expect(scan.message).toContain('more than 10 rows')
  })

  it('refuses a quoted name that tries to print lines of its own into the parsed structure', async () => {
    const error = await refusal(hunt('SELECT `x\\n      TableIdentifier decision` FROM system.one'))
    expect(['syntax', 'system_table']).toContain(error.reason)
  })

  it('cuts the answer at the row bound and says it did; filters keep the rows a pivot asks for', async () => {
    const cut = await hunt('SELECT request_id FROM decision ORDER BY request_id', { maxRows: 5 })
    expect(cut.rows).toHaveLength(5)
    expect(cut.truncated).toBe(true)
    const filtered = await hunt('SELECT request_id, subject, decision FROM decision ORDER BY request_id', {
      filters: [{ column: 'decision', value: 'deny' }],
    })
    expect(filtered.rows).toEqual([
      ['acme-req-0', 'user:acme-0', 'deny'],
      ['acme-req-10', 'user:acme-1', 'deny'],
      ['acme-req-20', 'user:acme-2', 'deny'],
    ])
    const both = await hunt('SELECT request_id, subject, decision FROM decision ORDER BY request_id', {
      filters: [
        { column: 'decision', value: 'deny' },
        { column: 'subject', value: 'user:acme-1' },
      ],
    })
    expect(both.rows).toEqual([['acme-req-10', 'user:acme-1', 'deny']])
  })

  it('leaves the session as it found it: a write after a hunt still works', async () => {
    await hunt('SELECT count() FROM decision')
    const writer = createEventWriter(client)
    const result = await writer.write('decision', [decision('acme', 99, 'allow')])
    expect(result.stored).toHaveLength(1)
  })
})

describe('saved hunts', () => {
  it('saves a hunt and opens it by id for its tenant only; the newest save of an id wins', async () => {
    const store = createSavedHuntStore(client)
    const saved = await store.save(
      'acme',
      { name: 'denies by subject', query: 'SELECT 1', range: '24h', from: null, to: null, savedBy: 'acme' },
      start,
    )
    expect(saved.id).toMatch(/^[A-Za-z0-9_-]{12}$/)
    await store.save('acme', { ...saved, name: 'renamed' }, start + 1000)
    expect(await store.get('acme', saved.id)).toMatchObject({
      name: 'renamed',
      query: 'SELECT 1',
      range: '24h',
      savedAt: start + 1000,
    })
    expect(await store.get('globex', saved.id)).toBeUndefined()
    expect((await store.list('acme', 10)).map((h) => h.id)).toEqual([saved.id])
  })
})
