import type { ClickHouseClient } from '@clickhouse/client'
import { HuntRefusedError } from './errors.ts'
import { huntTables, isHuntTableName } from './hunt-tables.ts'

/** Longest hunt text accepted, characters. */
export const MAX_HUNT_LENGTH = 20_000

/** A query the guard accepted: the engine's own one-line rendering of it, which is what runs. */
export interface CheckedHunt {
  /** `formatQuerySingleLine` of the text: one statement, comments gone. */
  canonical: string
  /** The hunt tables it reads. */
  tables: string[]
}

interface AstNode {
  depth: number
  type: string
  name: string
  declaredChildren: number
  children: AstNode[]
  parent?: AstNode
}

// Scalar functions that reach outside the query's tables (files, dictionaries, Join tables, other
// tables' metadata, server settings) or only hold a thread (sleep). Lower-case, matched whole.
const FORBIDDEN_FUNCTION =
  /^(file|joinget.*|dict.*|hascolumnintable|sleep.*|getmacro|getserversetting|getmergetreesetting|catboostevaluate|modelevaluate|evalmlmethod|filesystem.*|executable.*)$/
const SYSTEM_DATABASES = new Set(['system', 'information_schema'])
const WRITE_STATEMENT =
  /^(Insert|Alter|Drop|Create|Delete|Update|Truncate|Rename|Optimize|Undrop|Attach|Detach|Backup|Restore|Grant|Revoke|System|Kill|Set|Use|Move|Exchange)/
// `Type name (alias a) (children n)`; the type is a class name of the engine's AST.
const AST_LINE = /^( *)([A-Z][A-Za-z]*)(?: (.*))?$/
const CHILDREN = / ?\(children (\d+)\)$/
// The format the EXPLAIN is read in; the client appends it as `FORMAT ...`, the one output clause expected.
const EXPLAIN_FORMAT = 'JSONCompactEachRow'
const HUNT_TABLE_LIST = Object.keys(huntTables).join(', ')

const storeNamesCache = new WeakMap<
  ClickHouseClient,
  Promise<{ databases: Set<string>; tables: Set<string> }>
>()

/** The store's databases and its own tables, read once per client: identifiers naming them are refused. */
function storeNames(client: ClickHouseClient) {
  let names = storeNamesCache.get(client)
  if (!names) {
    names = (async () => {
      const read = async (query: string) => {
        const result = await client.query({ query, format: 'JSONCompactEachRow' })
        return new Set((await result.json<[string]>()).map(([name]) => name.toLowerCase()))
      }
      return {
        databases: await read('SELECT name FROM system.databases'),
        tables: await read('SELECT name FROM system.tables WHERE database = currentDatabase()'),
      }
    })()
    storeNamesCache.set(client, names)
    names.catch(() => storeNamesCache.delete(client))
  }
  return names
}

function engineMessage(error: unknown): string {
  // The engine repeats the query after "In scope"; the analyst has it in front of them.
  return String((error as Error)?.message ?? error)
    .split(/\. In scope |\n/)[0]!
    .trim()
}

/** Read `EXPLAIN AST` lines into a tree, refusing any line that is not what the engine prints. */
function parseAst(lines: string[]): AstNode {
  const root: AstNode = { depth: -1, type: '(root)', name: '', declaredChildren: 1, children: [] }
  const stack: AstNode[] = [root]
  for (const line of lines) {
    const children = CHILDREN.exec(line)
    const match = AST_LINE.exec(children ? line.slice(0, children.index) : line)
    if (!match) throw new HuntRefusedError('syntax', 'could not read the structure of this query')
    const depth = match[1]!.length
    const node: AstNode = {
      depth,
      type: match[2]!,
      name: (match[3] ?? '').replace(/ ?\(alias .*\)$/, ''),
      declaredChildren: Number(children?.[1] ?? 0),
      children: [],
    }
    while (stack.length > 0 && stack.at(-1)!.depth >= depth) stack.pop()
    const parent = stack.at(-1)
    if (!parent || parent.depth !== depth - 1)
      throw new HuntRefusedError('syntax', 'could not read the structure of this query')
    node.parent = parent
    parent.children.push(node)
    stack.push(node)
  }
  // A name that holds a line break (a quoted identifier with `\n`) would print extra lines; they
  // show up as children nobody declared, so the counts must agree everywhere.
  const verify = (node: AstNode): void => {
    if (node.children.length !== node.declaredChildren)
      throw new HuntRefusedError('syntax', 'could not read the structure of this query')
    node.children.forEach(verify)
  }
  verify(root)
  return root.children[0]!
}

function* walk(node: AstNode): Generator<AstNode> {
  yield node
  for (const child of node.children) yield* walk(child)
}

function refuseDatabase(qualified: string, databases: Set<string>): void {
  const database = qualified.split('.')[0]!.toLowerCase()
  if (SYSTEM_DATABASES.has(database))
    throw new HuntRefusedError(
      'system_table',
      `${qualified}: system tables are not readable in a hunt; hunt over ${HUNT_TABLE_LIST}`,
    )
  if (databases.has(database))
    throw new HuntRefusedError(
      'other_database',
      `${qualified}: other databases are not readable in a hunt; hunt over ${HUNT_TABLE_LIST}`,
    )
}

/**
 * Decide whether `text` may run as a hunt, using the engine's own parser (so that what is checked
 * is what ClickHouse will run): one SELECT, reading only the hunt tables; no table functions,
 * other databases, system tables, stored tables by name, `SETTINGS`, `FORMAT`/`INTO OUTFILE`,
 * query parameters, or functions that reach outside the query. The user's text only ever reaches
 * the engine as a string parameter; what runs afterwards is its one-line rendering.
 * @throws HuntRefusedError with the reason
 */
export async function checkHunt(client: ClickHouseClient, text: string): Promise<CheckedHunt> {
  if (text.trim() === '') throw new HuntRefusedError('empty', `write a SELECT over ${HUNT_TABLE_LIST}`)
  if (text.length > MAX_HUNT_LENGTH)
    throw new HuntRefusedError('too_long', `a hunt is at most ${MAX_HUNT_LENGTH} characters`)
  let canonical: string
  try {
    const result = await client.query({
      query: 'SELECT formatQuerySingleLine({text:String}) AS canonical',
      query_params: { text },
      format: 'JSONEachRow',
    })
    canonical = (await result.json<{ canonical: string }>())[0]!.canonical
  } catch (error) {
    const message = engineMessage(error)
    if (/Multi-statements/i.test(message))
      throw new HuntRefusedError(
        'multiple_statements',
        'one statement per hunt: remove the `;` and what follows',
        error,
      )
    throw new HuntRefusedError('syntax', message, error)
  }
  let lines: string[]
  try {
    // `canonical` is one statement (the formatter parsed exactly one), so nothing else can run here.
    const result = await client.query({ query: `EXPLAIN AST ${canonical}`, format: EXPLAIN_FORMAT })
    // A server answers `[line]` rows; chDB answers EXPLAIN in its own text, read as one string a line.
    lines = (await result.json<[string] | string>()).map((row) => (Array.isArray(row) ? row[0] : row))
  } catch (error) {
    const message = engineMessage(error)
    if (/Substitution .* is not set/i.test(message))
      throw new HuntRefusedError(
        'parameters',
        'query parameters ({name:Type}) are not allowed in a hunt',
        error,
      )
    throw new HuntRefusedError('syntax', message, error)
  }
  const root = parseAst(lines)
  if (root.type !== 'SelectWithUnionQuery') {
    if (WRITE_STATEMENT.test(root.type))
      throw new HuntRefusedError(
        'write',
        `hunts only read: write a SELECT (this is a ${root.type.replace(/Query$/, '')})`,
      )
    throw new HuntRefusedError('not_select', 'a hunt is one SELECT')
  }
  // The client adds `FORMAT JSONCompactEachRow`; anything else after the SELECT is the user's own output clause.
  const [body, ...after] = root.children
  if (
    body?.type !== 'ExpressionList' ||
    after.length > 1 ||
    (after[0] && !(after[0].type === 'Identifier' && after[0].name === EXPLAIN_FORMAT))
  )
    throw new HuntRefusedError(
      'output',
      'INTO OUTFILE and FORMAT are not allowed: the results come back as a table',
    )
  const { databases, tables: storeTables } = await storeNames(client)
  const tables = new Set<string>()
  for (const node of walk(body)) {
    const lower = node.name.toLowerCase()
    if (node.type === 'Set')
      throw new HuntRefusedError('settings', 'SETTINGS are not allowed in a hunt: its limits are fixed')
    if (node.type === 'QueryParameter')
      throw new HuntRefusedError('parameters', 'query parameters ({name:Type}) are not allowed in a hunt')
    if (node.type === 'Function' && node.parent?.type === 'TableExpression')
      throw new HuntRefusedError(
        'table_function',
        `${node.name}(): table functions are not allowed in a hunt; hunt over ${HUNT_TABLE_LIST}`,
      )
    if (node.type === 'Function' && FORBIDDEN_FUNCTION.test(lower))
      throw new HuntRefusedError(
        'function',
        `${node.name}() reads outside the hunt tables and is not allowed`,
      )
    if (node.type === 'TableIdentifier') {
      if (node.name.includes('.')) refuseDatabase(node.name, databases)
      if (node.name.includes('.') || !isHuntTableName(node.name))
        throw new HuntRefusedError(
          storeTables.has(lower) ? 'stored_table' : 'unknown_table',
          storeTables.has(lower)
            ? `${node.name} is read through its tenant-scoped hunt table; hunt over ${HUNT_TABLE_LIST}`
            : `no hunt table "${node.name}" (named subqueries are not supported: use FROM (SELECT ...)); hunt over ${HUNT_TABLE_LIST}`,
        )
      tables.add(node.name)
    }
    // `x IN some_table` names a table as a plain identifier.
    if (node.type === 'Identifier') {
      if (node.name.includes('.')) refuseDatabase(node.name, databases)
      if (storeTables.has(lower))
        throw new HuntRefusedError(
          'stored_table',
          `${node.name} is read through its tenant-scoped hunt table; hunt over ${HUNT_TABLE_LIST}`,
        )
    }
  }
  return { canonical, tables: [...tables].sort() }
}
