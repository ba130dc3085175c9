import { mkdirSync } from 'node:fs'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { lockDataDirectory } from './data-dir-lock.ts'
import { DataDirectoryInUseError } from './errors.ts'

/** Where the data lives: an embedded chDB engine in a directory, or a ClickHouse server. */
export type ClickHouseTarget =
  | { kind: 'embedded'; dataDir: string }
  | { kind: 'server'; url: string; username?: string; password?: string; database?: string }

/**
 * Open a `@clickhouse/client` on either target, so that every query and insert above this line is
 * the same code in embedded and distributed mode. chDB plugs in through the client's (experimental)
 * `connection` hook; only one process may open a given data directory.
 */
export async function openClickHouse(target: ClickHouseTarget): Promise<ClickHouseClient> {
  if (target.kind === 'server') {
    return createClient({
      url: target.url,
      username: target.username,
      password: target.password,
      database: target.database,
      clickhouse_settings: { date_time_output_format: 'iso' },
    })
  }
  mkdirSync(target.dataDir, { recursive: true })
  const unlock = lockDataDirectory(target.dataDir)
  // Loaded lazily: a server deployment never loads the native engine.
  const { createChdbConnection } = await import('chdb/connection')
  let connection: ReturnType<typeof createChdbConnection>
  try {
    connection = createChdbConnection({ path: target.dataDir })
  } catch (error) {
    unlock()
    // Held by a process that is not Palisade (a ClickHouse server, a script on chDB).
    if (/Cannot lock file/.test(String((error as Error).cause ?? error))) {
      throw new DataDirectoryInUseError(target.dataDir, 'another process', error)
    }
    throw error
  }
  // The `connection` option is chDB's hook into @clickhouse/client; its type is not public yet.
  const client = createClient({
    connection,
    clickhouse_settings: { date_time_output_format: 'iso' },
  } as Parameters<typeof createClient>[0])
  // chDB applies per-query settings with `SET` on its one session, so they outlive the query. An
  // `insert_deduplication_token` left over from one insert would make the next insert without a
  // token look like a repeat, and ClickHouse would drop it: every insert names its own (or none).
  const insert = client.insert.bind(client)
  client.insert = ((params: Parameters<typeof insert>[0]) =>
    insert({
      ...params,
      clickhouse_settings: { insert_deduplication_token: '', ...params.clickhouse_settings },
    })) as typeof client.insert
  const close = client.close.bind(client)
  client.close = async () => {
    try {
      await close()
    } finally {
      unlock()
    }
  }
  return client
}

/** Whether the store answers a trivial query now (for `palisade_dependency_up`). */
export async function clickHouseAnswers(client: ClickHouseClient): Promise<boolean> {
  const result = await client.query({ query: 'SELECT 1', format: 'JSONEachRow' })
  await result.json()
  return true
}
