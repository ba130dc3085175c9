import { type Document, isNode, LineCounter, parseAllDocuments } from 'yaml'
import { SloInvalidError, type SloProblem } from './errors.ts'
import { isRollupName, type RollupName, rollupCounters } from './rollup-counters.ts'
import type { CounterWeights, SloDefinition, SloIndicator } from './slo-definition.ts'
import { parseWindow } from './window-duration.ts'

/*
 * The OpenSLO v1 subset we read (https://github.com/OpenSLO/OpenSLO#slo):
 *
 *   apiVersion: openslo/v1
 *   kind: SLO
 *   metadata: { name: <dns-label>, displayName?, labels?, annotations?: { palisade.dev/runbook?: <url> } }
 *   spec:
 *     service: <label>                       # the service label of alerts and the API
 *     description?: <text>
 *     budgetingMethod: Occurrences
 *     timeWindow: [{ duration: <window>, isRolling: true }]
 *     objectives: [{ displayName?, target: <0..1> | targetPercent: <0..100> }]
 *     indicator:                             # an inline SLI
 *       metadata?: { name, displayName? }
 *       spec:
 *         ratioMetric:
 *           counter: true
 *           good | bad: { metricSource: <source> }
 *           total:      { metricSource: <source> }
 *
 *   <source> = { type: Palisade, spec: { rollup: auth|mtls|decision|flow,
 *                                        column: <counter> | expression: <counter> (+|- <counter>)*,
 *                                        service?: <label> } }
 *
 * Counters are names from a whitelist (`rollupCounters`); the parser turns them into weights, so
 * no text from a file ever becomes SQL. Both sides of the ratio must read the same rollup and the
 * same service filter. Without `service` the SLO sums every service of the tenant.
 */

/** Where the YAML came from, for error messages. */
export interface ParseOpenSloOptions {
  /** File path or another name shown in problems; default `<input>`. */
  source?: string
}

type Path = readonly (string | number)[]
type Mapping = Record<string, unknown>

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const RUNBOOK_ANNOTATION = 'palisade.dev/runbook'
const RUNBOOK_BASE = 'https://runbooks.palisade.dev/slo/'

function formatPath(path: Path): string {
  let text = ''
  for (const part of path) text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`
  return text
}

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Collects the problems of one YAML document, each located at the nearest node that exists. */
class DocumentChecker {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    private readonly source: string,
    private readonly index: number,
    readonly problems: SloProblem[],
  ) {}

  report(path: Path, message: string): void {
    const problem: SloProblem = { source: this.source, document: this.index, path: formatPath(path), message }
    // A missing field has no node: point at the closest ancestor that has one.
    for (let depth = path.length; depth >= 0; depth -= 1) {
      const node = depth === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, depth), true)
      if (isNode(node) && node.range) {
        const { line, col } = this.lines.linePos(node.range[0])
        problem.line = line
        problem.column = col
        break
      }
    }
    this.problems.push(problem)
  }

  /** A mapping with only `allowed` keys (unknown ones are reported, typos included); else undefined. */
  mapping(
    value: unknown,
    path: Path,
    allowed: readonly string[] | 'any',
    unsupported: Record<string, string> = {},
  ): Mapping | undefined {
    if (!isMapping(value)) {
      this.report(path, value === undefined ? 'is required' : 'must be a mapping')
      return undefined
    }
    for (const key of Object.keys(value)) {
      const hint = unsupported[key]
      if (hint !== undefined) this.report([...path, key], `is not supported: ${hint}`)
      else if (allowed !== 'any' && !allowed.includes(key))
        this.report([...path, key], `unknown field "${key}" (expected one of: ${allowed.join(', ')})`)
    }
    return value
  }

  text(value: unknown, path: Path, options: { required: boolean; max?: number }): string | undefined {
    if (value === undefined || value === null) {
      if (options.required) this.report(path, 'is required')
      return undefined
    }
    if (typeof value !== 'string' || value.trim() === '') {
      this.report(path, 'must be a non-empty string')
      return undefined
    }
    if (value.length > (options.max ?? 256)) {
      this.report(path, `must be at most ${options.max ?? 256} characters`)
      return undefined
    }
    return value
  }

  exactly(value: unknown, path: Path, expected: string | boolean, hint: string): boolean {
    if (value === expected) return true
    this.report(
      path,
      value === undefined
        ? `is required (${hint})`
        : `must be ${JSON.stringify(expected)} (${hint}), got ${JSON.stringify(value)}`,
    )
    return false
  }

  /** A list of exactly one mapping, as OpenSLO's `timeWindow` and (for us) `objectives` are. */
  single(value: unknown, path: Path, what: string): unknown {
    if (!Array.isArray(value)) {
      this.report(path, value === undefined ? 'is required' : `must be a list with one ${what}`)
      return undefined
    }
    if (value.length !== 1) {
      this.report(path, `must hold exactly one ${what}, got ${value.length}`)
      return undefined
    }
    return value[0]
  }
}

interface MetricSource {
  rollup?: RollupName
  service?: string
  weights?: CounterWeights
}

/** `successes + user_failures` → `{ successes: 1, user_failures: 1 }`, names checked against the rollup. */
function parseCounterExpression(expression: string, rollup: RollupName): CounterWeights | string {
  const tokens = expression.trim().split(/\s*([+-])\s*/)
  const weights: Record<string, number> = {}
  const known: readonly string[] = rollupCounters[rollup]
  for (let i = 0; i < tokens.length; i += 2) {
    const name = tokens[i] ?? ''
    const sign = i === 0 ? 1 : tokens[i - 1] === '-' ? -1 : 1
    if (name === '') return `"${expression}" is not a sum of counters such as "successes + user_failures"`
    if (!known.includes(name))
      return `unknown counter "${name}" of rollup ${rollup} (known: ${known.join(', ')})`
    weights[name] = (weights[name] ?? 0) + sign
  }
  return weights
}

function checkMetricSource(check: DocumentChecker, value: unknown, path: Path): MetricSource {
  const side = check.mapping(value, path, ['metricSource'])
  if (!side) return {}
  const sourcePath = [...path, 'metricSource']
  const source = check.mapping(side.metricSource, sourcePath, ['type', 'spec'], {
    metricSourceRef: 'name the rollup inline with type: Palisade',
  })
  if (!source) return {}
  check.exactly(source.type, [...sourcePath, 'type'], 'Palisade', 'Palisade reads its own rollups')
  const specPath = [...sourcePath, 'spec']
  const spec = check.mapping(source.spec, specPath, ['rollup', 'column', 'expression', 'service'])
  if (!spec) return {}
  const result: MetricSource = {}
  const rollup = check.text(spec.rollup, [...specPath, 'rollup'], { required: true })
  if (rollup !== undefined) {
    if (isRollupName(rollup)) result.rollup = rollup
    else
      check.report(
        [...specPath, 'rollup'],
        `unknown rollup "${rollup}" (known: ${Object.keys(rollupCounters).join(', ')})`,
      )
  }
  const service = check.text(spec.service, [...specPath, 'service'], { required: false })
  if (service !== undefined) result.service = service
  const hasColumn = spec.column !== undefined
  const hasExpression = spec.expression !== undefined
  if (hasColumn === hasExpression) {
    check.report(
      specPath,
      'needs exactly one of "column" (a counter) or "expression" (counters joined by + and -)',
    )
    return result
  }
  const key = hasColumn ? 'column' : 'expression'
  const text = check.text(spec[key], [...specPath, key], { required: true })
  if (text === undefined || result.rollup === undefined) return result
  const weights = parseCounterExpression(text, result.rollup)
  if (typeof weights === 'string') check.report([...specPath, key], weights)
  else if (hasColumn && Object.keys(weights).length !== 1)
    check.report([...specPath, key], 'names one counter; use "expression" for sums')
  else result.weights = weights
  return result
}

/** total - good, counter by counter: what is not good is bad. */
function complement(total: CounterWeights, good: CounterWeights): CounterWeights {
  const bad: Record<string, number> = { ...total }
  for (const [name, weight] of Object.entries(good)) bad[name] = (bad[name] ?? 0) - weight
  return bad
}

function checkIndicator(check: DocumentChecker, value: unknown, path: Path): SloIndicator | undefined {
  const indicator = check.mapping(value, path, ['metadata', 'spec'])
  if (!indicator) return undefined
  if (indicator.metadata !== undefined)
    check.mapping(indicator.metadata, [...path, 'metadata'], ['name', 'displayName', 'labels', 'annotations'])
  const specPath = [...path, 'spec']
  const spec = check.mapping(indicator.spec, specPath, ['ratioMetric'], {
    thresholdMetric: 'only ratio SLIs (good or bad over total) are evaluated',
  })
  if (!spec) return undefined
  const ratioPath = [...specPath, 'ratioMetric']
  const ratio = check.mapping(spec.ratioMetric, ratioPath, ['counter', 'good', 'bad', 'total'], {
    raw: 'name the good or bad counter and the total counter',
    rawType: 'name the good or bad counter and the total counter',
  })
  if (!ratio) return undefined
  check.exactly(ratio.counter, [...ratioPath, 'counter'], true, 'rollup columns are counters')
  if ((ratio.good === undefined) === (ratio.bad === undefined)) {
    check.report(ratioPath, 'needs exactly one of "good" or "bad", and "total"')
    if (ratio.total === undefined) return undefined
  }
  const declared = ratio.good !== undefined ? 'good' : 'bad'
  const part =
    ratio[declared] === undefined ? {} : checkMetricSource(check, ratio[declared], [...ratioPath, declared])
  const total = checkMetricSource(check, ratio.total, [...ratioPath, 'total'])
  if (part.rollup && total.rollup && part.rollup !== total.rollup) {
    check.report(
      [...ratioPath, 'total', 'metricSource', 'spec', 'rollup'],
      `must be the rollup of "${declared}" (${part.rollup}): a ratio reads one rollup`,
    )
    return undefined
  }
  if (part.rollup && total.rollup && part.service !== total.service) {
    check.report(
      [...ratioPath, 'total', 'metricSource', 'spec', 'service'],
      `must be the same service filter as "${declared}" (${part.service ?? 'none'}), got ${total.service ?? 'none'}`,
    )
    return undefined
  }
  if (!part.weights || !total.weights || !total.rollup) return undefined
  return {
    rollup: total.rollup,
    ...(total.service === undefined ? {} : { service: total.service }),
    bad: declared === 'bad' ? part.weights : complement(total.weights, part.weights),
    total: total.weights,
    declared,
  }
}

function checkObjective(check: DocumentChecker, value: unknown, path: Path): number | undefined {
  const objective = check.mapping(value, path, ['displayName', 'target', 'targetPercent'], {
    op: 'objectives are ratios (target), not thresholds',
    value: 'objectives are ratios (target), not thresholds',
    timeSliceTarget: 'only the Occurrences budgeting method is supported',
    timeSliceWindow: 'only the Occurrences budgeting method is supported',
  })
  if (!objective) return undefined
  if (objective.displayName !== undefined)
    check.text(objective.displayName, [...path, 'displayName'], { required: false })
  if (objective.target !== undefined && objective.targetPercent !== undefined) {
    check.report(path, 'give "target" (a fraction) or "targetPercent", not both')
    return undefined
  }
  const percent = objective.targetPercent !== undefined
  const key = percent ? 'targetPercent' : 'target'
  const raw = objective[key]
  const scale = percent ? 100 : 1
  if (typeof raw !== 'number' || !(raw > 0 && raw < scale)) {
    check.report(
      [...path, key],
      raw === undefined
        ? 'is required, e.g. target: 0.999'
        : `must be a number strictly between 0 and ${scale}, got ${JSON.stringify(raw)}`,
    )
    return undefined
  }
  return raw / scale
}

function checkDocument(
  check: DocumentChecker,
  value: unknown,
  source: string,
  document: number,
): SloDefinition | undefined {
  const root = check.mapping(value, [], ['apiVersion', 'kind', 'metadata', 'spec'])
  if (!root) return undefined
  const versionOk = check.exactly(root.apiVersion, ['apiVersion'], 'openslo/v1', 'the OpenSLO v1 subset')
  const kindOk = check.exactly(root.kind, ['kind'], 'SLO', 'SLIs are defined inline in the SLO')
  if (!versionOk || !kindOk) return undefined

  const metadata = check.mapping(
    root.metadata,
    ['metadata'],
    ['name', 'displayName', 'labels', 'annotations'],
  )
  let name: string | undefined
  let displayName: string | undefined
  let runbookUrl: string | undefined
  if (metadata) {
    name = check.text(metadata.name, ['metadata', 'name'], { required: true, max: 63 })
    if (name !== undefined && !DNS_LABEL.test(name)) {
      check.report(['metadata', 'name'], `"${name}" must be lower-case letters, digits and "-" (a DNS label)`)
      name = undefined
    }
    displayName = check.text(metadata.displayName, ['metadata', 'displayName'], { required: false })
    if (metadata.labels !== undefined) check.mapping(metadata.labels, ['metadata', 'labels'], 'any')
    if (metadata.annotations !== undefined) {
      const annotations = check.mapping(metadata.annotations, ['metadata', 'annotations'], 'any')
      const runbook = annotations?.[RUNBOOK_ANNOTATION]
      if (runbook !== undefined) {
        const path = ['metadata', 'annotations', RUNBOOK_ANNOTATION]
        runbookUrl = check.text(runbook, path, { required: true, max: 2048 })
        if (runbookUrl !== undefined && !/^https?:\/\/\S+$/.test(runbookUrl)) {
          check.report(path, `must be an http(s) URL, got "${runbookUrl}"`)
          runbookUrl = undefined
        }
      }
    }
  }

  const spec = check.mapping(
    root.spec,
    ['spec'],
    ['service', 'description', 'budgetingMethod', 'timeWindow', 'objectives', 'indicator'],
    {
      indicatorRef: 'define the SLI inline under spec.indicator',
      alertPolicies: 'burn-rate alerting uses the built-in multiwindow tiers',
    },
  )
  if (!spec) return undefined
  const service = check.text(spec.service, ['spec', 'service'], { required: true })
  const description = check.text(spec.description, ['spec', 'description'], { required: false, max: 4096 })
  const budgetingOk = check.exactly(
    spec.budgetingMethod,
    ['spec', 'budgetingMethod'],
    'Occurrences',
    'good events over all events',
  )

  let window: string | undefined
  let windowMs: number | undefined
  const timeWindow = check.single(spec.timeWindow, ['spec', 'timeWindow'], 'window')
  if (timeWindow !== undefined) {
    const path = ['spec', 'timeWindow', 0]
    const tw = check.mapping(timeWindow, path, ['duration', 'isRolling'], {
      calendar: 'only rolling windows are supported',
    })
    if (tw) {
      const rollingOk = check.exactly(
        tw.isRolling,
        [...path, 'isRolling'],
        true,
        'only rolling windows are supported',
      )
      const duration = check.text(tw.duration, [...path, 'duration'], { required: true })
      const ms = duration === undefined ? undefined : parseWindow(duration)
      if (duration !== undefined && ms === undefined) {
        check.report(
          [...path, 'duration'],
          `"${duration}" is not a window such as 28d, 30d or 4w (whole m, h, d or w)`,
        )
      }
      if (rollingOk && ms !== undefined) {
        window = duration
        windowMs = ms
      }
    }
  }
  const firstObjective = check.single(spec.objectives, ['spec', 'objectives'], 'objective')
  const objective =
    firstObjective === undefined
      ? undefined
      : checkObjective(check, firstObjective, ['spec', 'objectives', 0])
  const indicator = checkIndicator(check, spec.indicator, ['spec', 'indicator'])

  if (
    name === undefined ||
    service === undefined ||
    !budgetingOk ||
    window === undefined ||
    windowMs === undefined ||
    objective === undefined ||
    indicator === undefined
  ) {
    return undefined
  }
  return {
    name,
    displayName: displayName ?? name,
    ...(description === undefined ? {} : { description }),
    service,
    objective,
    window,
    windowMs,
    indicator,
    runbookUrl: runbookUrl ?? `${RUNBOOK_BASE}${name}`,
    origin: { source, document },
  }
}

/**
 * Parse one YAML text holding one or more OpenSLO v1 `SLO` documents (`---` between them; empty
 * documents are skipped). Throws `SloInvalidError` listing every problem of every document, with
 * file, document number, field path, line and column.
 */
export function parseOpenSlo(text: string, options: ParseOpenSloOptions = {}): SloDefinition[] {
  const source = options.source ?? '<input>'
  const lines = new LineCounter()
  const problems: SloProblem[] = []
  const slos: SloDefinition[] = []
  const seen = new Map<string, number>()
  const documents = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true })
  documents.forEach((doc, i) => {
    const document = i + 1
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const at = error.linePos?.[0]
        problems.push({
          source,
          document,
          path: '',
          ...(at ? { line: at.line, column: at.col } : {}),
          // The pretty message repeats the position and quotes the line; the first line is enough.
          message: `YAML: ${error.message.split('\n')[0]}`,
        })
      }
      return
    }
    const value: unknown = doc.toJS()
    if (value === null || value === undefined) return
    const check = new DocumentChecker(doc, lines, source, document, problems)
    const slo = checkDocument(check, value, source, document)
    if (!slo) return
    const first = seen.get(slo.name)
    if (first !== undefined) {
      check.report(['metadata', 'name'], `SLO "${slo.name}" is already defined in document ${first}`)
      return
    }
    seen.set(slo.name, document)
    slos.push(slo)
  })
  if (problems.length > 0) throw new SloInvalidError(problems)
  return slos
}
