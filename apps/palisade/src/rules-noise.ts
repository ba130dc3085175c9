import { parseArgs } from 'node:util'
import type { Finding } from '@palisade/schema'
import { CliUsageError } from './cli-args.ts'
import { findingPages } from './findings-pages.ts'

/** Arguments of `palisade rules noise`. */
export interface RulesNoiseArgs {
  /** Range start as the API takes it (default `now-7d`). */
  from: string
  to: string | undefined
  /** Only the rules whose id starts with this. */
  rule: string | undefined
  /** Top keys listed per rule and day (default 3). */
  top: number
  url: string | undefined
  token: string | undefined
}

/** One rule's findings on one UTC day. */
export interface RuleNoiseDay {
  rule: string
  /** `YYYY-MM-DD`, UTC, of the findings' event time. */
  day: string
  findings: number
  /** Findings in the busiest hour of the day: what the router's noise budget compares with. */
  peakHour: number
  /** The entity values seen most often (`name=value`), with their counts. */
  topKeys: Array<{ key: string; count: number }>
}

const USAGE = 'usage: palisade rules noise [--from now-7d] [--to T] [--rule id-prefix] [--top 3]'
// `incident` repeats the rule's first group-by entity: counting it would list every key twice.
const NOT_KEYS = new Set(['incident'])

/** Pure: parse `rules noise` arguments (those after `noise`). */
export function parseRulesNoiseArgs(argv: string[]): RulesNoiseArgs {
  let parsed: ReturnType<typeof parseNoiseOptions>
  try {
    parsed = parseNoiseOptions(argv)
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message}\n${USAGE}`)
  }
  const { values, positionals } = parsed
  if (positionals.length > 0) throw new CliUsageError(USAGE)
  const top = Number(values.top)
  if (!Number.isInteger(top) || top < 1)
    throw new CliUsageError(`--top is a whole number, at least 1\n${USAGE}`)
  return { from: values.from, to: values.to, rule: values.rule, top, url: values.url, token: values.token }
}

function parseNoiseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      from: { type: 'string', default: 'now-7d' },
      to: { type: 'string' },
      rule: { type: 'string' },
      top: { type: 'string', default: '3' },
      url: { type: 'string' },
      token: { type: 'string' },
    },
  })
}

interface Tally {
  findings: number
  hours: Map<number, number>
  keys: Map<string, number>
}

/**
 * Folds findings into counts per rule and UTC day, with the busiest hour and the top keys (the
 * entity values that recur: the workload or port a noisy rule keeps naming). Memory is bounded by
 * rules × days × distinct keys, not by the findings.
 */
export function createNoiseTally(options: { top: number; rule?: string | undefined }) {
  const tallies = new Map<string, Tally>()
  return {
    add(findings: Iterable<Finding>): void {
      for (const finding of findings) {
        if (options.rule !== undefined && !finding.rule.startsWith(options.rule)) continue
        const day = new Date(finding.ts).toISOString().slice(0, 10)
        const id = `${finding.rule}\n${day}`
        let tally = tallies.get(id)
        if (!tally) {
          tally = { findings: 0, hours: new Map(), keys: new Map() }
          tallies.set(id, tally)
        }
        tally.findings++
        const hour = Math.floor(finding.ts / 3_600_000)
        tally.hours.set(hour, (tally.hours.get(hour) ?? 0) + 1)
        for (const [name, value] of Object.entries(finding.entities)) {
          if (NOT_KEYS.has(name)) continue
          const key = `${name}=${value}`
          tally.keys.set(key, (tally.keys.get(key) ?? 0) + 1)
        }
      }
    },

    /** Noisiest first: by findings, then rule and day. */
    days(): RuleNoiseDay[] {
      return [...tallies]
        .map(([id, tally]) => {
          const [rule = '', day = ''] = id.split('\n')
          const topKeys = [...tally.keys]
            .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
            .slice(0, options.top)
            .map(([key, count]) => ({ key, count }))
          return { rule, day, findings: tally.findings, peakHour: Math.max(...tally.hours.values()), topKeys }
        })
        .sort((a, b) => b.findings - a.findings || a.rule.localeCompare(b.rule) || a.day.localeCompare(b.day))
    },
  }
}

/** The report as printed: one line per rule and day, noisiest first, then the totals per rule. */
export function noiseReportText(days: RuleNoiseDay[]): string {
  if (days.length === 0) return 'no findings in the range'
  const ruleWidth = Math.max(4, ...days.map((d) => d.rule.length))
  const lines = [
    `${'rule'.padEnd(ruleWidth)}  day         findings  peak/h  top keys`,
    ...days.map(
      (d) =>
        `${d.rule.padEnd(ruleWidth)}  ${d.day}  ${String(d.findings).padStart(8)}  ${String(d.peakHour).padStart(6)}  ${d.topKeys
          .map((k) => `${k.key} (${k.count})`)
          .join(', ')}`,
    ),
  ]
  const perRule = new Map<string, number>()
  for (const d of days) perRule.set(d.rule, (perRule.get(d.rule) ?? 0) + d.findings)
  lines.push(
    '',
    `${days.reduce((sum, d) => sum + d.findings, 0)} findings from ${perRule.size} rule(s) over ${new Set(days.map((d) => d.day)).size} day(s)`,
  )
  return lines.join('\n')
}

/** `palisade rules noise`: findings per rule per day from the API, with their busiest hour and top keys. */
export async function reportRuleNoise(options: {
  apiUrl: string
  token: string
  args: RulesNoiseArgs
  /** Findings per request (default the API's largest). */
  pageSize?: number
}): Promise<string> {
  const tally = createNoiseTally({ top: options.args.top, rule: options.args.rule })
  const pages = findingPages({
    apiUrl: options.apiUrl,
    token: options.token,
    filters: { from: options.args.from, to: options.args.to },
    ...(options.pageSize ? { pageSize: options.pageSize } : {}),
  })
  for await (const page of pages) tally.add(page)
  return noiseReportText(tally.days())
}
