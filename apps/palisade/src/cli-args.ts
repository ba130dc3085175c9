import { parseArgs } from 'node:util'

/** A command line that does not say what to do; the message says how to call it. */
export class CliUsageError extends Error {
  readonly code = 'CLI_USAGE'
  readonly retriable = false
}

/** Pure: node:util parseArgs' complaint in a few words (its own text runs to three sentences). */
export function parseArgsProblem(error: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1]
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`
  return error.message
}

/** Arguments of `palisade replay <format> <file...>`. */
export interface ReplayArgs {
  format: string
  files: string[]
  allowRejects: boolean
  url: string | undefined
  token: string | undefined
  formatOptions: Record<string, string>
}

/**
 * Pure: parse `replay` arguments. `--option k=v` (repeatable) passes a format option; `--fields`
 * is the shorthand for AWS VPC flow logs without a header line.
 */
export function parseReplayArgs(argv: string[]): ReplayArgs {
  let parsed: ReturnType<typeof parseReplayOptions>
  try {
    parsed = parseReplayOptions(argv)
  } catch (error) {
    throw new CliUsageError(parseArgsProblem(error as Error & { code?: string }))
  }
  const { values, positionals } = parsed
  const [format, ...files] = positionals
  if (!format || files.length === 0)
    throw new CliUsageError('usage: palisade replay <format> <file...> [options]')
  const formatOptions: Record<string, string> = {}
  for (const option of values.option ?? []) {
    const at = option.indexOf('=')
    if (at <= 0) throw new CliUsageError(`--option takes key=value, got "${option}"`)
    formatOptions[option.slice(0, at)] = option.slice(at + 1)
  }
  if (values.fields) formatOptions.fields = values.fields
  return {
    format,
    files,
    allowRejects: values['allow-rejects'] ?? false,
    url: values.url,
    token: values.token,
    formatOptions,
  }
}

function parseReplayOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,

    options: {
      'allow-rejects': { type: 'boolean', default: false },
      url: { type: 'string' },
      token: { type: 'string' },
      option: { type: 'string', multiple: true, default: [] },
      fields: { type: 'string' },
    },
  })
}
