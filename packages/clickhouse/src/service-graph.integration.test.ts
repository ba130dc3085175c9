import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AnyEvent, type EventKind, validateEvent } from '@palisade/schema'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardQueries, type ServiceEdgeFilter } from './dashboard-queries.ts'
import { createEventWriter } from './event-writer.ts'
import { type ClickHouseClient, openClickHouse } from './index.ts'
import { migrate } from './migrations.ts'
import { migrationsDir } from './migrations-dir.ts'

// The service graph's namespaces, mTLS state and rates (migration 0015), on the real engine: half
// the events stored before the migration (its backfill counts them), half after (its views do),
// some in the partial minutes at the range's ends (read raw).

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const base = Date.UTC(2026, 10, 23, 10)
// Unaligned ends: whole hours, whole minutes and raw partial minutes all take part.
const from = base - HOUR + 17_000
const to = base + 2 * HOUR + 13_000
const spanS = (to - from) / 1000

const web = 'spiffe://acme.io/ns/shop/sa/web'
const api = 'spiffe://acme.io/ns/shop/sa/api'
const db = 'spiffe://acme.io/ns/data/sa/db'
const ledger = 'finance/ledger'
const outside = '203.0.113.9'

let client: ClickHouseClient
let dataDir: string
let beforeDir: string

function event(kind: EventKind, record: Record<string, unknown>): AnyEvent {
  const result = validateEvent(kind, record, { tenant: 'acme', observedAt: base })
  if (!result.ok) throw new Error(result.reason)
  return result.event
}

/** Times spread over the range: inside whole hours, in whole minutes, and in both partial minutes. */
const times = [from + 5_000, base - 30 * MINUTE + 7, base + 12 * MINUTE, base + HOUR + 1, to - 4_000]
const at = (i: number) => times[i % times.length] as number

function flows(
  src: string,
  dst: string,
  port: number,
  n: number,
  extra: Record<string, unknown>,
  offset = 0,
) {
  return Array.from({ length: n }, (_, i) =>
    event('flow', {
      ts: at(i + offset),
      service: 'mesh',
      src_identity: src.includes('.') && !src.includes('/') ? undefined : src,
      src_ip: '10.0.0.1',
      dst_identity: dst.includes('.') && !dst.includes('/') ? undefined : dst,
      dst_ip: dst.includes('/') ? '10.0.0.2' : dst,
      dst_port: port,
      // Distinct content: an event id is derived from it, and a repeat would be dropped as a retry.
      bytes_sent: offset * 100 + i,
      ...extra,
    }),
  )
}

/** Each half of the data: called once before the migration and once after. */
function half(offset: number) {
  const flow = [
    ...flows(web, api, 8080, 5, { mtls: 'mutual' }, offset),
    ...flows(api, db, 5432, 3, { mtls: 'mutual' }, offset),
    ...(offset === 0 ? flows(api, db, 5432, 1, { mtls: 'plaintext' }, offset) : []),
    ...flows(api, ledger, 9000, 2, { encrypted: true }, offset),
    ...flows(db, ledger, 7000, 1, { encrypted: false }, offset),
    ...flows(web, outside, 443, 2, { verdict: 'denied' }, offset),
  ]
  const decision = Array.from({ length: 3 }, (_, i) =>
    event('decision', {
      ts: at(i + offset),
      service: 'api',
      src_identity: web,
      dst_identity: api,
      request_id: `r-${offset}-${i}`,
      decision: i === 0 ? 'deny' : 'allow',
    }),
  )
  const mtls = [
    event('mtls', {
      ts: at(offset),
      service: 'db',
      src_identity: web,
      dst_identity: db,
      dst_port: 5432,
      count: 3,
      outcome: 'success',
    }),
    event('mtls', {
      ts: at(offset + 1),
      service: 'api',
      src_identity: web,
      dst_identity: api,
      dst_port: 8080,
      outcome: 'failure',
      reason: 'expired_cert',
    }),
  ]
  return { flow, decision, mtls }
}

async function write(data: ReturnType<typeof half>) {
  const writer = createEventWriter(client)
  for (const [kind, events] of Object.entries(data)) await writer.write(kind as EventKind, events)
}

const graph = (edgeFilter?: ServiceEdgeFilter, range = { from, to }) =>
  dashboardQueries.service_graph(client, { tenant: 'acme', ...range, stepMs: MINUTE, limit: 100, edgeFilter })

const links = (rows: Awaited<ReturnType<typeof graph>>) =>
  [...new Set(rows.map((row) => `${row.src} → ${row.dst}`))].sort()

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-graph-'))
  beforeDir = mkdtempSync(join(tmpdir(), 'palisade-migrations-'))
  for (const file of readdirSync(migrationsDir).filter((name) => /^00(0\d|1[0-4])_/.test(name)))
    copyFileSync(join(migrationsDir, file), join(beforeDir, file))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: beforeDir })
  await write(half(0))
  expect(await migrate(client, { dir: migrationsDir })).toContain(15)
  await write(half(1))
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(beforeDir, { recursive: true, force: true })
})

describe('service graph (migration 0015)', () => {
  it('answers each link with its namespaces, counts, weakest mTLS mode and rate', async () => {
    const rows = await graph()
    const row = (src: string, dst: string, port: number) =>
      rows.find((r) => r.src === src && r.dst === dst && r.dst_port === port)
    expect(row(web, api, 8080)).toMatchObject({
      flows: 10,
      handshake_failures: 2,
      mtls_mutual: 10,
      src_namespace: 'shop',
      dst_namespace: 'shop',
      mtls: 'mutual',
      // Link rate: 10 flows against 6 requests, the larger over the range.
    })
    expect(row(web, api, 8080)?.rate_per_s).toBeCloseTo(10 / spanS, 9)
    // The requests of the link come on their own row (a decision names no port).
    expect(row(web, api, 0)).toMatchObject({ flows: 0, requests: 6, request_denies: 2, mtls: 'mutual' })
    // One plaintext flow among mutual ones: the link is plaintext (a bypass shows).
    expect(row(api, db, 5432)).toMatchObject({
      mtls_mutual: 6,
      mtls_plaintext: 1,
      mtls: 'plaintext',
      dst_namespace: 'data',
    })
    // Encrypted without a mode: server-only TLS as far as the record tells; unencrypted: plaintext.
    expect(row(api, ledger, 9000)).toMatchObject({ mtls_tls: 4, mtls: 'tls', dst_namespace: 'finance' })
    expect(row(db, ledger, 7000)).toMatchObject({ mtls_plaintext: 2, mtls: 'plaintext' })
    // Handshakes alone make an edge, with no traffic rate.
    expect(row(web, db, 5432)).toMatchObject({
      flows: 0,
      requests: 0,
      mtls_mutual: 6,
      mtls: 'mutual',
      rate_per_s: 0,
    })
    // No source said how the external flows ran; an address has no namespace.
    expect(row(web, outside, 443)).toMatchObject({ flows: 4, blocked: 4, mtls: 'unknown', dst_namespace: '' })
  })

  it('counts the same from the hourly rollup as from the minutes', async () => {
    const inside = { from: base, to: base + HOUR - 1 }
    const byMinute = await graph(undefined, { from: base + 1, to: base + HOUR - 1 })
    const byHour = await graph(undefined, inside)
    const strip = (rows: typeof byHour) => rows.map(({ rate_per_s: _rate, ...row }) => row)
    expect(strip(byHour)).toEqual(strip(byMinute))
    expect(byHour.length).toBeGreaterThan(0)
  })

  it('narrows links by namespace, denies, mTLS state and rate before the limit', async () => {
    expect(links(await graph({ namespace: 'data' }))).toEqual(
      [`${api} → ${db}`, `${db} → ${ledger}`, `${web} → ${db}`].sort(),
    )
    expect(links(await graph({ deniedOnly: true }))).toEqual(
      [`${web} → ${outside}`, `${web} → ${api}`].sort(),
    )
    expect(links(await graph({ mtls: 'plaintext' }))).toEqual([`${api} → ${db}`, `${db} → ${ledger}`].sort())
    expect(links(await graph({ mtls: 'tls' }))).toEqual([`${api} → ${ledger}`])
    expect(links(await graph({ minRatePerS: 9 / spanS }))).toEqual([`${web} → ${api}`])
    expect(links(await graph({ namespace: 'shop', mtls: 'unknown' }))).toEqual([`${web} → ${outside}`])
    expect(await graph({ namespace: 'nowhere' })).toEqual([])
  })
})
