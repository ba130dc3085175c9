import { createWriteStream } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Finding } from '@palisade/schema'
import { CliUsageError } from './cli-args.ts'

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
 * Fetch findings from the dashboard API (`GET /api/v1/findings`), newest first, page by page
 * (each page ends where the previous one's oldest finding was; repeats at the boundary drop by
 * id), and write them to a file as NDJSON or one JSON array. Resolves with the count written.
 */
export async function exportFindings(options: {
  apiUrl: string
  token: string
  /** What to write where: the export arguments (the API's address and token are given above). */
  args: FindingsExport
  /** Findings per request (default 5,000, the largest `limit` the API takes). */
  pageSize?: number
}): Promise<number> {
  const pageSize = options.pageSize ?? 5000
  const { args } = options
  const seen = new Set<string>()
  const out = createWriteStream(args.out)
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => out.write(text, (error) => (error ? reject(error) : resolve())))
  let to = args.to
  let count = 0
  try {
    if (args.format === 'json') await write('[')
    for (;;) {
      const query = new URLSearchParams({ limit: String(pageSize) })
      for (const [name, value] of Object.entries({
        from: args.from ?? '0',
        to,
        severity: args.severity,
        rule: args.rule,
      }))
        if (value !== undefined) query.set(name, value)
      const response = await fetch(`${options.apiUrl}/api/v1/findings?${query}`, {
        headers: { authorization: `Bearer ${options.token}` },
      })
      if (!response.ok) throw new Error(`the API answered ${response.status}: ${await response.text()}`)
      const { findings } = (await response.json()) as { findings: Finding[] }
      const fresh = findings.filter((finding) => !seen.has(finding.finding_id))
      for (const finding of fresh) {
        seen.add(finding.finding_id)
        await write(
          args.format === 'json'
            ? `${count > 0 ? ',' : ''}\n${JSON.stringify(finding)}`
            : `${JSON.stringify(finding)}\n`,
        )
        count++
      }
      if (findings.length < pageSize || fresh.length === 0) break
      to = String(findings[findings.length - 1]!.ts)
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
