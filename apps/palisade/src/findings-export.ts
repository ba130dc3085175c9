import { createWriteStream } from 'node:fs'
import { parseArgs } from 'node:util'
import { CliUsageError } from './cli-args.ts'
import { findingPages } from './findings-pages.ts'

/** Arguments of `palisade findings export`. */
export interface FindingsExportArgs {
  out: string
  from: string | undefined
  to: string | undefined
  severity: string | undefined
  rule: string | undefined
  format: 'ndjson' | 'json'
  url: string | undefined
  token: string | undefined
}

/** What `exportFindings` writes: the file, its format, and the API's filters (absent: all). */
export type FindingsExport = Pick<FindingsExportArgs, 'out' | 'format'> &
  Partial<Pick<FindingsExportArgs, 'from' | 'to' | 'severity' | 'rule'>>

/** Pure: parse `findings export` arguments. */
export function parseFindingsExportArgs(argv: string[]): FindingsExportArgs {
  let parsed: ReturnType<typeof parseExportOptions>
  try {
    parsed = parseExportOptions(argv)
  } catch (error) {
    throw new CliUsageError((error as Error).message)
  }
  const { values, positionals } = parsed
  if (positionals[0] !== 'export' || positionals.length > 1 || !values.out)
    throw new CliUsageError(
      'usage: palisade findings export --out FILE [--from T] [--to T] [--severity page|ticket|info] [--rule ID] [--format ndjson|json]',
    )
  if (values.format !== 'ndjson' && values.format !== 'json')
    throw new CliUsageError(`--format is ndjson or json, got "${values.format}"`)
  return {
    out: values.out,
    from: values.from,
    to: values.to,
    severity: values.severity,
    rule: values.rule,
    format: values.format,
    url: values.url,
    token: values.token,
  }
}

/**
 * Fetch findings from the dashboard API (see {@link findingPages}) and write them to a file as
 * NDJSON or one JSON array. Resolves with the count written.
 */
export async function exportFindings(options: {
  apiUrl: string
  token: string
  /** What to write where: the export arguments (the API's address and token are given above). */
  args: FindingsExport
  /** Findings per request (default 5,000, the largest `limit` the API takes). */
  pageSize?: number
}): Promise<number> {
  const { args } = options
  const out = createWriteStream(args.out)
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => out.write(text, (error) => (error ? reject(error) : resolve())))
  let count = 0
  try {
    if (args.format === 'json') await write('[')
    const pages = findingPages({
      apiUrl: options.apiUrl,
      token: options.token,
      filters: args,
      ...(options.pageSize ? { pageSize: options.pageSize } : {}),
    })
    for await (const page of pages) {
      for (const finding of page) {
        await write(
          args.format === 'json'
            ? `${count > 0 ? ',' : ''}\n${JSON.stringify(finding)}`
            : `${JSON.stringify(finding)}\n`,
        )
        count++
      }
    }
    if (args.format === 'json') await write('\n]\n')
  } finally {
    await new Promise<void>((resolve) => out.end(resolve))
  }
  return count
}

function parseExportOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      from: { type: 'string' },
      to: { type: 'string' },
      severity: { type: 'string' },
      rule: { type: 'string' },
      format: { type: 'string', default: 'ndjson' },
      url: { type: 'string' },
      token: { type: 'string' },
    },
  })
}
