import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type ClickHouseClient,
  createEventWriter,
  createSloRollupReader,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { loadSloDirectory } from '@palisade/declarations'
import { type AnyEvent, type EventKind, validateEvent } from '@palisade/schema'
import { createSloStatusReader, type SloStatus, type SloStatusReader } from '@palisade/slo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The repository's SLO files, from raw events through the real rollups (chDB) to each SLI's value.
const MIN = 60_000
const t0 = Date.UTC(2026, 0, 15, 12, 0)
const sloDir = fileURLToPath(new URL('../../../alerts/slos', import.meta.url))

let client: ClickHouseClient
let dataDir: string
let reader: SloStatusReader

function event(kind: EventKind, record: Record<string, unknown>, ts: number): AnyEvent {
  const result = validateEvent(kind, { ts, ...record }, { tenant: 'acme', observedAt: ts + MIN })
  if (!result.ok) throw new Error(result.reason)
  return result.event
}

/** `n` copies of a record, spread over the 50 minutes before t0. */
function times(n: number, kind: EventKind, record: Record<string, unknown>, offset: number): AnyEvent[] {
  return Array.from({ length: n }, (_, i) =>
    event(kind, record, t0 - 50 * MIN + ((i * 37 + offset) % 3000) * 1000),
  )
}

/*
 * Decisions: 950 allows, 8 enforced denies, 30 dry-run denies (a rollout's new policy, not
 * enforced) and 12 PDP errors: 1,000 decisions.
 * Auth: 990 successes, 1 wrong password (refused credentials) and 9 IdP failures: 1,000 attempts.
 */
function dataset(): { decision: AnyEvent[]; auth: AnyEvent[] } {
  const decision = (d: string, extra: Record<string, unknown> = {}) => ({
    service: 'payments',
    decision: d,
    subject: 'user:ann@acme.io',
    ...extra,
  })
  const auth = (outcome: string, extra: Record<string, unknown> = {}) => ({
    service: 'sso',
    principal: 'ann@acme.io',
    outcome,
    ...extra,
  })
  return {
    decision: [
      ...times(950, 'decision', decision('allow'), 1),
      ...times(8, 'decision', decision('deny'), 2),
      ...times(30, 'decision', decision('deny', { dry_run: true }), 3),
      ...times(12, 'decision', decision('error'), 4),
    ],
    auth: [
      ...times(990, 'auth', auth('success'), 5),
      ...times(1, 'auth', auth('failure', { failure_kind: 'user', reason: 'wrong password' }), 6),
      ...times(9, 'auth', auth('failure', { failure_kind: 'system', reason: 'IdP timeout' }), 7),
    ],
  }
}

function statusOf(statuses: SloStatus[], name: string): SloStatus {
  const status = statuses.find((s) => s.name === name)
  if (!status) throw new Error(`no status for ${name}`)
  return status
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-slis-'))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: migrationsDir })
  const writer = createEventWriter(client)
  const { decision, auth } = dataset()
  expect((await writer.write('decision', decision)).stored).toHaveLength(1000)
  expect((await writer.write('auth', auth)).stored).toHaveLength(1000)
  reader = createSloStatusReader({
    rollups: createSloRollupReader(client),
    slos: await loadSloDirectory(sloDir),
    now: () => t0,
  })
})

afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('perimeter SLIs of alerts/slos, from raw events', () => {
  it('deny ratio counts enforced denies only: not PDP errors, not dry-run denies', async () => {
    const denyRatio = statusOf(await reader.statuses('acme'), 'deny-ratio')
    expect(denyRatio).toMatchObject({ total: 1000, good: 992, objective: 0.99 })
    // 0.8% denied against 1% allowed: a fifth of the budget left.
    expect(denyRatio.budgetRemaining).toBeCloseTo(0.2, 9)
  })

  it('unauthorized attempt rate counts refused credentials only, not IdP failures', async () => {
    const unauthorized = statusOf(await reader.statuses('acme'), 'unauthorized-attempts')
    expect(unauthorized).toMatchObject({ total: 1000, good: 999, objective: 0.999 })
    expect(unauthorized.budgetRemaining).toBeCloseTo(0, 9)
    // The IdP failures are auth-success's business, and the wrong password is not.
    const authSuccess = statusOf(await reader.statuses('acme'), 'auth-success')
    expect(authSuccess).toMatchObject({ total: 1000, good: 991 })
  })

  it('the PDP errors spend decision availability, the denies do not', async () => {
    const availability = statusOf(await reader.statuses('acme'), 'decision-availability')
    expect(availability).toMatchObject({ total: 1000, good: 988 })
  })
})
