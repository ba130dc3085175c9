import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import {
  type ClickHouseClient,
  type ClickHouseSettings,
  createClient,
  type InsertParams,
  parseError,
} from '@clickhouse/client'
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
  const rawInsert = connection.chdb.rawInsert
  // Rows as JSON lines, handed to the engine as bytes: the client's path would stringify every
  // row into a stream, gather it into one string and send `INSERT ... FORMAT JSONEachRow\n<rows>`
  // as SQL text; chDB's raw insert takes the bytes as they are and parses them on its own threads,
  // and its settings go in the statement's SETTINGS clause, not a session-wide SET.
  const insertJson = async (
    table: string,
    text: string,
    clickhouse_settings: ClickHouseSettings | undefined,
    columns?: string[],
  ) => {
    const settings: Record<string, string | number | boolean> = { insert_deduplication_token: '' }
    for (const [name, value] of Object.entries(clickhouse_settings ?? {}))
      if (value !== undefined) settings[name] = value as string | number | boolean
    try {
      await rawInsert({
        table,
        values: Buffer.from(text),
        format: 'JSONEachRow',
        ...(columns ? { columns } : {}),
        settings,
      })
    } catch (error) {
      // The shape the client's own path throws (code and type parsed from the engine's message).
      const mapped = parseError(error instanceof Error ? error.message : String(error))
      if (mapped !== error) mapped.cause = error
      throw mapped
    }
  }
  jsonTextInserts.set(client, insertJson)
  client.insert = (async (params: Parameters<typeof insert>[0]) => {
    if (!isRowsOfJson(params)) {
      const clickhouse_settings = { insert_deduplication_token: '', ...params.clickhouse_settings }
      return insert({ ...params, clickhouse_settings })
    }
    const rows = params.values as unknown[]
    if (rows.length === 0) return { executed: false, query_id: '', response_headers: {} }
    await insertJson(params.table, jsonLines(rows), params.clickhouse_settings, params.columns as string[])
    return { executed: true, query_id: randomUUID(), response_headers: {} }
  }) as typeof client.insert
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

/** The embedded engine's insert of JSONEachRow text, by client (a server client has none). */
const jsonTextInserts = new WeakMap<
  ClickHouseClient,
  (table: string, text: string, settings: ClickHouseSettings | undefined) => Promise<void>
>()

/** Whether `client` takes JSONEachRow text as it is (the embedded engine), see {@link insertJsonText}. */
export function takesJsonText(client: ClickHouseClient): boolean {
  return jsonTextInserts.has(client)
}

/**
 * Insert rows given as JSONEachRow text (one JSON object a line) as they are, on the embedded
 * engine, and resolve true; resolve false, inserting nothing, when the client cannot take text
 * as it is (a server, through @clickhouse/client, which encodes rows itself): insert the rows then.
 */
export async function insertJsonText(
  client: ClickHouseClient,
  table: string,
  text: string,
  settings?: ClickHouseSettings,
): Promise<boolean> {
  const insert = jsonTextInserts.get(client)
  if (!insert) return false
  await insert(table, text, settings)
  return true
}

/** An insert of rows (objects) as JSONEachRow into named columns or all of them: what chDB takes as raw bytes. */
function isRowsOfJson(params: InsertParams): boolean {
  return (
    Array.isArray(params.values) &&
    params.format === 'JSONEachRow' &&
    (params.columns === undefined || Array.isArray(params.columns)) &&
    params.abort_signal === undefined
  )
}

/** Rows as JSONEachRow text: one `JSON.stringify` per row, as the client itself encodes them. */
function jsonLines(rows: unknown[]): string {
  const lines = new Array<string>(rows.length)
  for (let index = 0; index < rows.length; index++) lines[index] = JSON.stringify(rows[index])
  return lines.join('\n')
}

/** Whether the store answers a trivial query now (for `palisade_dependency_up`). */
export async function clickHouseAnswers(client: ClickHouseClient): Promise<boolean> {
  const result = await client.query({ query: 'SELECT 1', format: 'JSONEachRow' })
  await result.json()
  return true
}
