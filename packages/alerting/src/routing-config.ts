import { parseDuration } from '@palisade/duration'
import { parse } from 'yaml'
import { RoutingConfigInvalidError } from './errors.ts'
import { type LabelMatcher, parseLabelMatcher } from './label-matcher.ts'
import { defaultNoiseBudget, type NoiseBudgetConfig } from './noise-budget.ts'
import { parseTimePeriod, type TimeInterval } from './time-interval.ts'

/** One node of the routing tree, with the settings it inherits from its parent already applied. */
export interface RouteNode {
  /** Position in the tree (`route`, `route.routes[0]`, ...), for logs and to tell groups apart. */
  id: string
  receiver: string
  /** All must match; empty on the root, which matches every alert. */
  matchers: LabelMatcher[]
  /** Keep looking at the next siblings after this node matched (default false). */
  continue: boolean
  /** Labels whose values form a group; `'all'` (YAML `['...']`) groups by every label. Default none. */
  groupBy: string[] | 'all'
  /** Wait before the first notification of a new group, to collect its siblings, ms (default 30 s). */
  groupWaitMs: number
  /** Wait between notifications about new alerts in a notified group, ms (default 5 min). */
  groupIntervalMs: number
  /** Re-send an unchanged, still-firing notification after this long, ms (default 4 h). */
  repeatIntervalMs: number
  /** Names of time intervals during which this node's groups send nothing (not inherited). */
  muteTimeIntervals: string[]
  routes: RouteNode[]
}

/**
 * A receiver as the routing file declares it: a type, and the names of the environment variables
 * that hold its secrets, so that the file can be committed. `null` receivers send nothing.
 */
export type ReceiverConfig =
  | {
      name: string
      kind: 'pagerduty'
      routingKeyEnv: string
      urlEnv: string
      /** Where the key is read when `routingKeyEnv` is unset (a team's pager falling back to SRE's). */
      fallbackRoutingKeyEnv?: string
    }
  | { name: string; kind: 'webhook'; urlEnv: string }
  /** Slack incoming webhook (Block Kit messages). */
  | { name: string; kind: 'slack'; urlEnv: string }
  /** Microsoft Teams incoming webhook (an Adaptive Card per notification). */
  | { name: string; kind: 'msteams'; urlEnv: string }
  /** Opsgenie Alert API v2: create, acknowledge and close by alias (the dedup key). */
  | { name: string; kind: 'opsgenie'; apiKeyEnv: string; urlEnv: string }
  | { name: string; kind: 'null' }

/** A firing source alert mutes target alerts that carry the same values of the `equal` labels. */
export interface InhibitRule {
  sourceMatchers: LabelMatcher[]
  targetMatchers: LabelMatcher[]
  equal: string[]
}

/** Mute alerts matching `matchers` between `startsAt` and `endsAt` (epoch ms, end exclusive). */
export interface Silence {
  matchers: LabelMatcher[]
  startsAt: number
  endsAt: number
  comment: string
}

/** The validated routing file (`alerts/routing.yaml`). */
export interface RoutingConfig {
  route: RouteNode
  receivers: ReceiverConfig[]
  inhibitRules: InhibitRule[]
  timeIntervals: TimeInterval[]
  silences: Silence[]
  /**
   * Forget a firing alert its source has not re-sent for this long, without a resolve: findings are
   * sent once and never resolved by their source, and memory must stay bounded. ms (default 24 h).
   */
  staleAfterMs: number
  /** Notifications per rule and tenant an hour before the rule's alerts collapse (`noise_budget`). */
  noiseBudget: NoiseBudgetConfig
}

/** Environment variables a receiver's secrets come from, unless the routing file names others. */
export const defaultReceiverEnv = {
  pagerdutyRoutingKey: 'PALISADE_PAGERDUTY_ROUTING_KEY',
  pagerdutyUrl: 'PALISADE_PAGERDUTY_URL',
  webhookUrl: 'PALISADE_TICKET_WEBHOOK_URL',
  slackUrl: 'PALISADE_SLACK_WEBHOOK_URL',
  teamsUrl: 'PALISADE_TEAMS_WEBHOOK_URL',
  opsgenieApiKey: 'PALISADE_OPSGENIE_API_KEY',
  opsgenieUrl: 'PALISADE_OPSGENIE_URL',
} as const

const ROOT_DEFAULTS = { groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000 }
const ROUTE_KEYS = [
  'receiver',
  'matchers',
  'continue',
  'group_by',
  'group_wait',
  'group_interval',
  'repeat_interval',
  'mute_time_intervals',
  'routes',
]

type Mapping = Record<string, unknown>

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads a YAML tree into typed values, collecting every problem instead of stopping at the first. */
function createReader() {
  const problems: string[] = []
  const reader = {
    problems,
    keys(raw: Mapping, allowed: readonly string[], path: string) {
      for (const key of Object.keys(raw)) {
        if (!allowed.includes(key))
          problems.push(`${path ? `${path}.` : ''}${key} is not a known key (${allowed.join(', ')})`)
      }
    },
    list(raw: unknown, path: string): unknown[] {
      if (raw === undefined || raw === null) return []
      if (Array.isArray(raw)) return raw
      problems.push(`${path} must be a list`)
      return []
    },
    name(raw: unknown, path: string): string {
      if (typeof raw === 'string' && raw.trim() !== '') return raw
      problems.push(`${path} must be a non-empty string`)
      return ''
    },
    strings(raw: unknown, path: string): string[] {
      return reader.list(raw, path).map((item, index) => reader.name(item, `${path}[${index}]`))
    },
    duration(raw: unknown, path: string, inherited: number): number {
      if (raw === undefined) return inherited
      const ms = typeof raw === 'string' ? parseDuration(raw) : undefined
      if (ms === undefined)
        problems.push(`${path} must be a duration such as 30s, 5m or 4h, got ${JSON.stringify(raw)}`)
      return ms ?? inherited
    },
    matchers(raw: unknown, path: string): LabelMatcher[] {
      const matchers: LabelMatcher[] = []
      for (const [index, text] of reader.list(raw, path).entries()) {
        try {
          matchers.push(parseLabelMatcher(String(text)))
        } catch (error) {
          problems.push(`${path}[${index}]: ${(error as Error).message}`)
        }
      }
      return matchers
    },
    time(raw: unknown, path: string): number {
      const ms = raw instanceof Date ? raw.getTime() : typeof raw === 'string' ? Date.parse(raw) : Number.NaN
      if (Number.isNaN(ms)) problems.push(`${path} must be an ISO 8601 time such as 2026-11-23T22:00:00Z`)
      return ms
    },
  }
  return reader
}

type Reader = ReturnType<typeof createReader>

function readRoute(raw: unknown, path: string, parent: RouteNode | undefined, read: Reader): RouteNode {
  if (!isMapping(raw)) {
    read.problems.push(`${path} must be a mapping with at least a receiver`)
    raw = {}
  }
  const node = raw as Mapping
  read.keys(node, ROUTE_KEYS, path)
  if (!parent && (node.matchers !== undefined || node.continue !== undefined)) {
    read.problems.push(`${path} is the root: it matches every alert and takes no matchers or continue`)
  }
  if (!parent && node.receiver === undefined) read.problems.push(`${path}.receiver is required on the root`)
  if (node.continue !== undefined && typeof node.continue !== 'boolean') {
    read.problems.push(`${path}.continue must be true or false`)
  }
  let groupBy: string[] | 'all' = parent?.groupBy ?? []
  if (node.group_by !== undefined) {
    const names = read.strings(node.group_by, `${path}.group_by`)
    if (names.includes('...') && names.length > 1) {
      read.problems.push(`${path}.group_by: '...' groups by every label and must stand alone`)
    }
    groupBy = names.includes('...') ? 'all' : names
  }
  const result: RouteNode = {
    id: path,
    receiver:
      node.receiver === undefined ? (parent?.receiver ?? '') : read.name(node.receiver, `${path}.receiver`),
    matchers: read.matchers(node.matchers, `${path}.matchers`),
    continue: node.continue === true,
    groupBy,
    groupWaitMs: read.duration(
      node.group_wait,
      `${path}.group_wait`,
      parent?.groupWaitMs ?? ROOT_DEFAULTS.groupWaitMs,
    ),
    groupIntervalMs: read.duration(
      node.group_interval,
      `${path}.group_interval`,
      parent?.groupIntervalMs ?? ROOT_DEFAULTS.groupIntervalMs,
    ),
    repeatIntervalMs: read.duration(
      node.repeat_interval,
      `${path}.repeat_interval`,
      parent?.repeatIntervalMs ?? ROOT_DEFAULTS.repeatIntervalMs,
    ),
    muteTimeIntervals: read.strings(node.mute_time_intervals, `${path}.mute_time_intervals`),
    routes: [],
  }
  result.routes = read
    .list(node.routes, `${path}.routes`)
    .map((child, index) => readRoute(child, `${path}.routes[${index}]`, result, read))
  return result
}

function readReceiver(raw: unknown, path: string, read: Reader): ReceiverConfig | undefined {
  if (!isMapping(raw)) {
    read.problems.push(`${path} must be a mapping with a name`)
    return undefined
  }
  const kinds = ['pagerduty', 'webhook', 'slack', 'msteams', 'opsgenie']
  read.keys(raw, ['name', ...kinds], path)
  const name = read.name(raw.name, `${path}.name`)
  const types = kinds.filter((type) => raw[type] !== undefined)
  if (types.length > 1)
    read.problems.push(`${path} (${name}) declares ${types.join(' and ')}; one type per receiver`)
  const settings = (type: string, allowed: string[]): Mapping => {
    const value = raw[type] ?? {}
    if (!isMapping(value)) {
      read.problems.push(`${path}.${type} must be a mapping (it may be empty: {})`)
      return {}
    }
    read.keys(value, allowed, `${path}.${type}`)
    return value
  }
  const envName = (value: unknown, key: string, fallback: string) =>
    value === undefined ? fallback : read.name(value, `${path}.${key}`)
  if (raw.pagerduty !== undefined) {
    const pd = settings('pagerduty', ['routing_key_env', 'url_env', 'fallback_routing_key_env'])
    return {
      ...(pd.fallback_routing_key_env !== undefined
        ? {
            fallbackRoutingKeyEnv: read.name(
              pd.fallback_routing_key_env,
              `${path}.pagerduty.fallback_routing_key_env`,
            ),
          }
        : {}),
      name,
      kind: 'pagerduty',
      routingKeyEnv: envName(
        pd.routing_key_env,
        'pagerduty.routing_key_env',
        defaultReceiverEnv.pagerdutyRoutingKey,
      ),
      urlEnv: envName(pd.url_env, 'pagerduty.url_env', defaultReceiverEnv.pagerdutyUrl),
    }
  }
  if (raw.slack !== undefined) {
    const slack = settings('slack', ['url_env'])
    return {
      name,
      kind: 'slack',
      urlEnv: envName(slack.url_env, 'slack.url_env', defaultReceiverEnv.slackUrl),
    }
  }
  if (raw.msteams !== undefined) {
    const teams = settings('msteams', ['url_env'])
    return {
      name,
      kind: 'msteams',
      urlEnv: envName(teams.url_env, 'msteams.url_env', defaultReceiverEnv.teamsUrl),
    }
  }
  if (raw.opsgenie !== undefined) {
    const genie = settings('opsgenie', ['api_key_env', 'url_env'])
    return {
      name,
      kind: 'opsgenie',
      apiKeyEnv: envName(genie.api_key_env, 'opsgenie.api_key_env', defaultReceiverEnv.opsgenieApiKey),
      urlEnv: envName(genie.url_env, 'opsgenie.url_env', defaultReceiverEnv.opsgenieUrl),
    }
  }
  if (raw.webhook !== undefined) {
    const hook = settings('webhook', ['url_env'])
    return {
      name,
      kind: 'webhook',
      urlEnv: envName(hook.url_env, 'webhook.url_env', defaultReceiverEnv.webhookUrl),
    }
  }
  return { name, kind: 'null' }
}

function readTimeInterval(raw: unknown, path: string, read: Reader): TimeInterval | undefined {
  if (!isMapping(raw)) {
    read.problems.push(`${path} must be a mapping with name and time_intervals`)
    return undefined
  }
  read.keys(raw, ['name', 'time_intervals'], path)
  const periods = read
    .list(raw.time_intervals, `${path}.time_intervals`)
    .map((period, index) => parseTimePeriod(period, `${path}.time_intervals[${index}]`, read.problems))
  if (periods.length === 0) read.problems.push(`${path}.time_intervals must list at least one period`)
  return { name: read.name(raw.name, `${path}.name`), periods }
}

function readInhibitRule(raw: unknown, path: string, read: Reader): InhibitRule | undefined {
  if (!isMapping(raw)) {
    read.problems.push(`${path} must be a mapping with source_matchers, target_matchers and equal`)
    return undefined
  }
  read.keys(raw, ['source_matchers', 'target_matchers', 'equal'], path)
  const rule = {
    sourceMatchers: read.matchers(raw.source_matchers, `${path}.source_matchers`),
    targetMatchers: read.matchers(raw.target_matchers, `${path}.target_matchers`),
    equal: read.strings(raw.equal, `${path}.equal`),
  }
  if (rule.sourceMatchers.length === 0 || rule.targetMatchers.length === 0) {
    read.problems.push(`${path} needs source_matchers and target_matchers`)
  }
  return rule
}

function readSilence(raw: unknown, path: string, read: Reader): Silence | undefined {
  if (!isMapping(raw)) {
    read.problems.push(`${path} must be a mapping with matchers, starts_at and ends_at`)
    return undefined
  }
  read.keys(raw, ['matchers', 'starts_at', 'ends_at', 'comment'], path)
  const silence = {
    matchers: read.matchers(raw.matchers, `${path}.matchers`),
    startsAt: read.time(raw.starts_at, `${path}.starts_at`),
    endsAt: read.time(raw.ends_at, `${path}.ends_at`),
    comment: typeof raw.comment === 'string' ? raw.comment : '',
  }
  // A silence without matchers would mute every alert of every tenant: almost surely a mistake.
  if (silence.matchers.length === 0) read.problems.push(`${path}.matchers must name at least one matcher`)
  if (silence.endsAt <= silence.startsAt) read.problems.push(`${path}.ends_at must be after starts_at`)
  return silence
}

function readNoiseBudget(raw: unknown, read: Reader): NoiseBudgetConfig {
  if (raw === undefined) return defaultNoiseBudget
  if (!isMapping(raw)) {
    read.problems.push('noise_budget must be a mapping with per_hour and/or rules')
    return defaultNoiseBudget
  }
  read.keys(raw, ['per_hour', 'rules'], 'noise_budget')
  const count = (value: unknown, path: string, fallback: number): number => {
    if (value === undefined) return fallback
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value
    read.problems.push(`${path} must be a whole number of notifications an hour, at least 1`)
    return fallback
  }
  const perHour = count(raw.per_hour, 'noise_budget.per_hour', defaultNoiseBudget.perHour)
  const rules: Record<string, number> = {}
  if (raw.rules !== undefined && !isMapping(raw.rules))
    read.problems.push('noise_budget.rules must map rule ids to notifications an hour')
  else
    for (const [rule, value] of Object.entries(raw.rules ?? {}))
      rules[rule] = count(value, `noise_budget.rules.${rule}`, perHour)
  return { perHour, rules }
}

function walk(route: RouteNode, visit: (node: RouteNode) => void): void {
  visit(route)
  for (const child of route.routes) walk(child, visit)
}

/**
 * Parse and validate an Alertmanager-like routing file: `route` (tree), `receivers`,
 * `inhibit_rules`, `time_intervals`, `silences`, `noise_budget`, `global.stale_after`. Throws
 * {@link RoutingConfigInvalidError} listing every problem found.
 */
export function parseRoutingConfig(text: string): RoutingConfig {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (error) {
    throw new RoutingConfigInvalidError([`not valid YAML: ${(error as Error).message}`], error)
  }
  if (!isMapping(raw))
    throw new RoutingConfigInvalidError(['the file must be a mapping with route and receivers'])
  const read = createReader()
  read.keys(
    raw,
    ['global', 'route', 'receivers', 'inhibit_rules', 'time_intervals', 'silences', 'noise_budget'],
    '',
  )

  const global = isMapping(raw.global) ? raw.global : {}
  if (raw.global !== undefined && !isMapping(raw.global)) read.problems.push('global must be a mapping')
  read.keys(global, ['stale_after'], 'global')
  const staleAfterMs = read.duration(global.stale_after, 'global.stale_after', 24 * 3_600_000)

  const receivers = read
    .list(raw.receivers, 'receivers')
    .map((receiver, index) => readReceiver(receiver, `receivers[${index}]`, read))
    .filter((receiver) => receiver !== undefined)
  const receiverNames = new Set<string>()
  for (const receiver of receivers) {
    if (receiverNames.has(receiver.name)) read.problems.push(`receiver "${receiver.name}" is declared twice`)
    receiverNames.add(receiver.name)
  }

  const timeIntervals = read
    .list(raw.time_intervals, 'time_intervals')
    .map((interval, index) => readTimeInterval(interval, `time_intervals[${index}]`, read))
    .filter((interval) => interval !== undefined)
  const intervalNames = new Set(timeIntervals.map((interval) => interval.name))

  const route = readRoute(raw.route, 'route', undefined, read)
  walk(route, (node) => {
    if (node.receiver && !receiverNames.has(node.receiver)) {
      read.problems.push(`${node.id}.receiver "${node.receiver}" is not declared under receivers`)
    }
    for (const name of node.muteTimeIntervals) {
      if (!intervalNames.has(name))
        read.problems.push(`${node.id}.mute_time_intervals: "${name}" is not declared`)
    }
  })

  const inhibitRules = read
    .list(raw.inhibit_rules, 'inhibit_rules')
    .map((rule, index) => readInhibitRule(rule, `inhibit_rules[${index}]`, read))
    .filter((rule) => rule !== undefined)
  const silences = read
    .list(raw.silences, 'silences')
    .map((silence, index) => readSilence(silence, `silences[${index}]`, read))
    .filter((silence) => silence !== undefined)

  const noiseBudget = readNoiseBudget(raw.noise_budget, read)

  if (read.problems.length > 0) throw new RoutingConfigInvalidError(read.problems)
  return { route, receivers, inhibitRules, timeIntervals, silences, staleAfterMs, noiseBudget }
}
