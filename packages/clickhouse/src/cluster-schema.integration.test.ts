import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clusterMigrationsTable,
  clusterShardKeys,
  clusterStatement,
  clusterStatements,
} from './cluster-schema.ts'
import { type ClickHouseClient, openClickHouse } from './index.ts'
import { readMigrations } from './migrations.ts'
import { migrationsDir } from './migrations-dir.ts'

// The real engine's parser (chDB's `formatQuery`) reads every statement the cluster would run: a
// cluster is not at hand in tests, its grammar is.
let client: ClickHouseClient
let dataDir: string

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-cluster-ddl-'))
  client = await openClickHouse({ kind: 'embedded', dataDir })
})
afterAll(async () => {
  await client?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

async function parse(statement: string): Promise<string> {
  const result = await client.query({
    query: 'SELECT formatQuery({statement:String}) AS formatted',
    query_params: { statement },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ formatted: string }>()
  return row?.formatted ?? ''
}

const migrations = readMigrations(migrationsDir)
const known: string[] = []
const generated = migrations.flatMap((migration) =>
  clusterStatements(migration.statements, 'palisade', known).map((statement, index): [string, string] => [
    `${migration.name} #${index + 1}`,
    statement,
  ]),
)

describe('cluster schema (CLICKHOUSE_CLUSTER)', () => {
  it.each(generated)('%s parses in the real engine', async (_name, statement) => {
    const formatted = await parse(statement)
    expect(formatted.length).toBeGreaterThan(0)
    if (!statement.startsWith('INSERT')) expect(formatted).toContain('ON CLUSTER palisade')
  })

  it('parses the migration ledger of a cluster', async () => {
    expect(await parse(clusterMigrationsTable('palisade'))).toContain('ReplicatedMergeTree')
  })

  it('makes every table a replicated local table behind a distributed one sharded by tenant', async () => {
    const created = known.slice()
    expect(created).toEqual(
      expect.arrayContaining(['flow_events', 'service_edge_rollup_1m', 'decision_denies']),
    )
    for (const table of created) {
      const local = generated.find(([, s]) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${table}_local `))?.[1]
      expect(local, table).toMatch(
        /ENGINE = Replicated(Aggregating|Replacing)?MergeTree\('\/clickhouse\/tables\/\{shard\}/,
      )
      const distributed = generated.find(([, s]) =>
        s.startsWith(`CREATE TABLE IF NOT EXISTS ${table} ON CLUSTER`),
      )?.[1]
      expect(distributed, table).toContain(
        `Distributed(palisade, currentDatabase(), ${table}_local, cityHash64(tenant,`,
      )
      expect(clusterShardKeys[table]).toBeDefined()
    }
    // A replacing table keeps its version column after the replication arguments.
    const checkpoints = generated.find(([, s]) =>
      s.startsWith('CREATE TABLE IF NOT EXISTS detector_checkpoints_local'),
    )
    expect(checkpoints?.[1]).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/detector_checkpoints_local', '{replica}', saved_at)",
    )
  })

  it('runs every materialized view from local table to local table on each shard', () => {
    const views = generated.filter(([, s]) => s.startsWith('CREATE MATERIALIZED VIEW'))
    expect(views.length).toBeGreaterThanOrEqual(8)
    for (const [, view] of views) {
      expect(view).toMatch(/ TO \w+_local AS/)
      const sources = [...view.matchAll(/\bFROM (\w+)/g)].map((match) => match[1])
      for (const source of sources) expect(source).toMatch(/_local$/)
    }
  })

  it('adds a column to the local tables and to the distributed one, and a TTL to the local ones only', () => {
    expect(clusterStatement('ALTER TABLE flow_events ADD COLUMN x UInt8', 'c1', [])).toEqual([
      'ALTER TABLE flow_events_local ON CLUSTER c1 ADD COLUMN x UInt8',
      'ALTER TABLE flow_events ON CLUSTER c1 ADD COLUMN x UInt8',
    ])
    expect(clusterStatement('ALTER TABLE flow_events MODIFY TTL ts + INTERVAL 3 DAY', 'c1', [])).toEqual([
      'ALTER TABLE flow_events_local ON CLUSTER c1 MODIFY TTL ts + INTERVAL 3 DAY',
    ])
  })

  it('drops a view on every node, so that a migration can create it again with more columns', () => {
    expect(clusterStatement('DROP VIEW IF EXISTS decision_denies_mv', 'c1', [])).toEqual([
      'DROP VIEW IF EXISTS decision_denies_mv ON CLUSTER c1',
    ])
  })

  it('refuses a statement it has no cluster form for, and a cluster name that is not an identifier', () => {
    expect(() => clusterStatement('DROP TABLE flow_events', 'c1', [])).toThrow(/no cluster form/)
    expect(() => clusterStatement('ALTER TABLE flow_events MODIFY TTL ts', 'c1; DROP', [])).toThrow(
      /cluster name/,
    )
    expect(() =>
      clusterStatement(
        'CREATE TABLE IF NOT EXISTS mystery (a UInt8) ENGINE = MergeTree ORDER BY a',
        'c1',
        [],
      ),
    ).toThrow(/no shard key/)
  })
})
