import { LineCounter, parseAllDocuments } from 'yaml'
import { SloInvalidError, type SloProblem } from './errors.ts'
import {
  type AlertConditionObject,
  type AlertPolicyObject,
  checkAlertCondition,
  checkAlertPolicy,
  checkNotificationTarget,
  objectName,
  refOrInline,
} from './openslo-alert-policy.ts'
import { DocumentChecker, type Mapping, type Path } from './openslo-checker.ts'
import { isRollupName, type RollupName, rollupCounters } from './rollup-counters.ts'
import type { CounterWeights, SloDefinition, SloIndicator, TimeSlice } from './slo-definition.ts'
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
 *     budgetingMethod: Occurrences | Timeslices
 *     timeWindow: [{ duration: <window>, isRolling: true }]
 *     objectives: [{ displayName?, target: <0..1> | targetPercent: <0..100>,
 *                    timeSliceTarget: <0..1>, timeSliceWindow: <window> | <minutes> }]   # slices: Timeslices only
 *     indicator:                             # an inline SLI, or
 *     indicatorRef: <name of a kind: SLI>    # (exactly one of the two)
 *     alertPolicies?: [{ alertPolicyRef: <name> } | <inline AlertPolicy>]   # see openslo-alert-policy.ts
 *       metadata?: { name, displayName? }
 *       spec:
 *         ratioMetric:
 *           counter: true
 *           good | bad: { metricSource: <source> }
 *           total:      { metricSource: <source> }
 *
 *   <source> = { type: Palisade, spec: { rollup: <a key of rollupCounters>,
 *                                        column: <counter> | expression: <counter> (+|- <counter>)*,
 *                                        service?: <label>,
 *                                        destinations?: all|undeclared } }   ; egress rollup only
 *
 *   kind: SLI      metadata: { name }, spec: { description?, ratioMetric: ... as inline }
 *   kind: Service  metadata: { name }, spec?: { description? }   (when any is declared, every SLO's
 *                  spec.service must name one)
 *   kind: AlertPolicy | AlertCondition | AlertNotificationTarget: see openslo-alert-policy.ts
 *
 * Documents of every kind may sit in any file of the folder: references resolve across files.
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

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const RUNBOOK_ANNOTATION = 'palisade.dev/runbook'
const RUNBOOK_BASE = 'https://runbooks.palisade.dev/slo/'

interface MetricSource {
  rollup?: RollupName
  service?: string
  undeclared?: true
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
  const spec = check.mapping(source.spec, specPath, [
    'rollup',
    'column',
    'expression',
    'service',
    'destinations',
  ])
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
  const destinations = check.text(spec.destinations, [...specPath, 'destinations'], { required: false })
  if (destinations !== undefined) {
    if (destinations !== 'all' && destinations !== 'undeclared')
      check.report([...specPath, 'destinations'], `"${destinations}": expected all or undeclared`)
    else if (result.rollup !== undefined && result.rollup !== 'egress')
      check.report([...specPath, 'destinations'], 'only the egress rollup has destinations')
    else if (destinations === 'undeclared') result.undeclared = true
  }
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
  return checkIndicatorSpec(check, indicator.spec, [...path, 'spec'])
}

/** The `spec` of an SLI, inline in an SLO or of a `kind: SLI` object (whose `description` is checked apart). */
function checkIndicatorSpec(
  check: DocumentChecker,
  value: unknown,
  specPath: Path,
): SloIndicator | undefined {
  const spec = check.mapping(value, specPath, ['ratioMetric'], {
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
  if (part.rollup && total.rollup && part.undeclared !== total.undeclared) {
    check.report(
      [...ratioPath, 'total', 'metricSource', 'spec', 'destinations'],
      `must be the same destinations as "${declared}" (${part.undeclared ? 'undeclared' : 'all'})`,
    )
    return undefined
  }
  if (!part.weights || !total.weights || !total.rollup) return undefined
  return {
    rollup: total.rollup,
    ...(total.service === undefined ? {} : { service: total.service }),
    ...(total.undeclared ? { undeclaredEgressOnly: true as const } : {}),
    bad: declared === 'bad' ? part.weights : complement(total.weights, part.weights),
    total: total.weights,
    declared,
  }
}

/**
 * A `Timeslices` objective's slice: `timeSliceWindow` (a window, or a number of minutes as the spec
 * allows) and `timeSliceTarget` in (0, 1].
 */
function checkTimeSlice(check: DocumentChecker, objective: Mapping, path: Path): TimeSlice | undefined {
  const rawWindow = objective.timeSliceWindow
  const windowText = typeof rawWindow === 'number' ? `${rawWindow}m` : rawWindow
  let windowMs: number | undefined
  if (typeof windowText !== 'string')
    check.report(
      [...path, 'timeSliceWindow'],
      rawWindow === undefined
        ? 'is required with Timeslices, e.g. 1m or 5m'
        : 'must be a window such as 1m or 5m',
    )
  else {
    windowMs = parseWindow(windowText)
    if (windowMs === undefined)
      check.report(
        [...path, 'timeSliceWindow'],
        `"${windowText}" is not a whole number of minutes such as 1m or 5m`,
      )
  }
  const target = objective.timeSliceTarget
  const targetOk = typeof target === 'number' && target > 0 && target <= 1
  if (!targetOk)
    check.report(
      [...path, 'timeSliceTarget'],
      target === undefined
        ? 'is required with Timeslices: the fraction good a slice needs, e.g. 0.99'
        : `must be a number in (0, 1], got ${JSON.stringify(target)}`,
    )
  if (windowMs === undefined || typeof windowText !== 'string' || !targetOk) return undefined
  return { window: windowText, windowMs, target: target as number }
}

function checkObjective(
  check: DocumentChecker,
  value: unknown,
  path: Path,
  method: 'Occurrences' | 'Timeslices',
): { objective: number; timeSlice?: TimeSlice } | undefined {
  const sliceHint = 'only with budgetingMethod: Timeslices'
  const objective = check.mapping(
    value,
    path,
    method === 'Timeslices'
      ? ['displayName', 'target', 'targetPercent', 'timeSliceTarget', 'timeSliceWindow']
      : ['displayName', 'target', 'targetPercent'],
    {
      op: 'objectives are ratios (target), not thresholds',
      value: 'objectives are ratios (target), not thresholds',
      ...(method === 'Timeslices' ? {} : { timeSliceTarget: sliceHint, timeSliceWindow: sliceHint }),
    },
  )
  if (!objective) return undefined
  const timeSlice = method === 'Timeslices' ? checkTimeSlice(check, objective, path) : undefined
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
  if (method === 'Timeslices' && !timeSlice) return undefined
  return { objective: raw / scale, ...(timeSlice ? { timeSlice } : {}) }
}

/** An SLO before its references (`indicatorRef`, `alertPolicyRef`) are resolved. */
interface PendingSlo {
  kind: 'SLO'
  slo: Omit<SloDefinition, 'indicator'> & { indicator?: SloIndicator }
  indicatorRef?: { ref: string; path: Path }
  policies: (AlertPolicyObject | { ref: string; path: Path })[]
  servicePath: Path
  check: DocumentChecker
}

/** One validated OpenSLO object of any kind we read. */
type OpenSloObject =
  | PendingSlo
  | { kind: 'SLI'; name: string; indicator: SloIndicator; check: DocumentChecker }
  | { kind: 'Service'; name: string; check: DocumentChecker }
  | { kind: 'AlertCondition'; condition: AlertConditionObject; check: DocumentChecker }
  | { kind: 'AlertPolicy'; policy: AlertPolicyObject; check: DocumentChecker }
  | { kind: 'AlertNotificationTarget'; name: string; check: DocumentChecker }

const KINDS = ['SLO', 'SLI', 'Service', 'AlertPolicy', 'AlertCondition', 'AlertNotificationTarget'] as const

function checkObject(check: DocumentChecker, value: unknown): OpenSloObject | undefined {
  const root = check.mapping(value, [], ['apiVersion', 'kind', 'metadata', 'spec'])
  if (!root) return undefined
  const versionOk = check.exactly(root.apiVersion, ['apiVersion'], 'openslo/v1', 'OpenSLO v1')
  if (!versionOk) return undefined
  switch (root.kind) {
    case 'SLO':
      return checkSlo(check, root)
    case 'SLI': {
      const name = objectName(check, root.metadata, ['metadata'])
      const spec = check.mapping(root.spec, ['spec'], 'any')
      const { description, ...indicatorSpec } = spec ?? {}
      check.text(description, ['spec', 'description'], { required: false, max: 1050 })
      const indicator = spec ? checkIndicatorSpec(check, indicatorSpec, ['spec']) : undefined
      return name && indicator ? { kind: 'SLI', name, indicator, check } : undefined
    }
    case 'Service': {
      const name = objectName(check, root.metadata, ['metadata'])
      const spec = root.spec === undefined ? {} : check.mapping(root.spec, ['spec'], ['description'])
      check.text(spec?.description, ['spec', 'description'], { required: false, max: 1050 })
      return name ? { kind: 'Service', name, check } : undefined
    }
    case 'AlertCondition': {
      const condition = checkAlertCondition(check, root, [])
      return condition ? { kind: 'AlertCondition', condition, check } : undefined
    }
    case 'AlertPolicy': {
      const policy = checkAlertPolicy(check, root, [])
      return policy ? { kind: 'AlertPolicy', policy, check } : undefined
    }
    case 'AlertNotificationTarget': {
      const name = checkNotificationTarget(check, root, [])
      return name ? { kind: 'AlertNotificationTarget', name, check } : undefined
    }
    default:
      check.report(
        ['kind'],
        root.kind === undefined
          ? `is required (one of: ${KINDS.join(', ')})`
          : `unknown kind ${JSON.stringify(root.kind)} (expected one of: ${KINDS.join(', ')})`,
      )
      return undefined
  }
}

function checkSlo(check: DocumentChecker, root: Mapping): PendingSlo | undefined {
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
    [
      'service',
      'description',
      'budgetingMethod',
      'timeWindow',
      'objectives',
      'indicator',
      'indicatorRef',
      'alertPolicies',
    ],
  )
  if (!spec) return undefined
  const service = check.text(spec.service, ['spec', 'service'], { required: true })
  const description = check.text(spec.description, ['spec', 'description'], { required: false, max: 4096 })
  const method = spec.budgetingMethod
  const budgetingOk = method === 'Occurrences' || method === 'Timeslices'
  if (!budgetingOk)
    check.report(
      ['spec', 'budgetingMethod'],
      method === undefined
        ? 'is required: Occurrences (good events over all events) or Timeslices (good slices over all slices)'
        : `must be Occurrences or Timeslices, got ${JSON.stringify(method)}${method === 'RatioTimeslices' ? ' (an average of slice ratios is not supported: windows are sums of counters)' : ''}`,
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
  const checked =
    firstObjective === undefined
      ? undefined
      : // With an unknown method the objective is still checked, as an Occurrences one.
        checkObjective(check, firstObjective, ['spec', 'objectives', 0], budgetingOk ? method : 'Occurrences')
  const objective = checked?.objective
  let indicator: SloIndicator | undefined
  let indicatorRef: PendingSlo['indicatorRef']
  let indicatorOk = true
  if ((spec.indicator === undefined) === (spec.indicatorRef === undefined)) {
    check.report(
      ['spec'],
      'needs exactly one of "indicator" (an inline SLI) or "indicatorRef" (the name of an SLI)',
    )
    indicatorOk = false
  } else if (spec.indicatorRef !== undefined) {
    const ref = check.text(spec.indicatorRef, ['spec', 'indicatorRef'], { required: true, max: 253 })
    if (ref === undefined) indicatorOk = false
    else indicatorRef = { ref, path: ['spec', 'indicatorRef'] }
  } else {
    indicator = checkIndicator(check, spec.indicator, ['spec', 'indicator'])
    indicatorOk = indicator !== undefined
  }

  const policies: PendingSlo['policies'] = []
  let policiesOk = true
  if (spec.alertPolicies !== undefined) {
    if (!Array.isArray(spec.alertPolicies)) {
      check.report(
        ['spec', 'alertPolicies'],
        'must be a list of { alertPolicyRef: <name> } or inline AlertPolicy objects',
      )
      policiesOk = false
    } else
      spec.alertPolicies.forEach((item, i) => {
        const path = ['spec', 'alertPolicies', i]
        const policy = refOrInline(check, item, path, 'alertPolicyRef', 'AlertPolicy')
        if (policy && 'ref' in policy && typeof policy.ref === 'string')
          policies.push(policy as { ref: string; path: Path })
        else if (policy) {
          const inline = checkAlertPolicy(check, policy as Mapping, path)
          if (inline) policies.push(inline)
          else policiesOk = false
        } else policiesOk = false
      })
  }

  if (
    name === undefined ||
    service === undefined ||
    !budgetingOk ||
    window === undefined ||
    windowMs === undefined ||
    objective === undefined ||
    !indicatorOk ||
    !policiesOk
  ) {
    return undefined
  }
  return {
    kind: 'SLO',
    slo: {
      name,
      displayName: displayName ?? name,
      ...(description === undefined ? {} : { description }),
      service,
      objective,
      window,
      windowMs,
      ...(indicator === undefined ? {} : { indicator }),
      ...(checked?.timeSlice ? { timeSlice: checked.timeSlice } : {}),
      runbookUrl: runbookUrl ?? `${RUNBOOK_BASE}${name}`,
      origin: { source: check.source, document: check.index },
    },
    ...(indicatorRef === undefined ? {} : { indicatorRef }),
    policies,
    servicePath: ['spec', 'service'],
    check,
  }
}

/** One file of OpenSLO documents. */
export interface OpenSloFile {
  /** File path or another name shown in problems. */
  source: string
  text: string
}

/** Names of objects that are declared but invalid, per kind: a reference to one is not reported again. */
type InvalidNames = Map<string, Set<string>>

function readObjects(file: OpenSloFile, problems: SloProblem[], invalid: InvalidNames): OpenSloObject[] {
  const lines = new LineCounter()
  const objects: OpenSloObject[] = []
  const documents = parseAllDocuments(file.text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true })
  documents.forEach((doc, i) => {
    const document = i + 1
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const at = error.linePos?.[0]
        problems.push({
          source: file.source,
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
    const object = checkObject(new DocumentChecker(doc, lines, file.source, document, problems), value)
    if (object) objects.push(object)
    else {
      const { kind, metadata } = (value ?? {}) as { kind?: unknown; metadata?: { name?: unknown } }
      const name = metadata?.name
      if (typeof kind === 'string' && typeof name === 'string')
        invalid.set(kind, (invalid.get(kind) ?? new Set()).add(name))
    }
  })
  return objects
}

function nameOf(object: OpenSloObject): string {
  switch (object.kind) {
    case 'SLO':
      return object.slo.name
    case 'AlertCondition':
      return object.condition.name
    case 'AlertPolicy':
      return object.policy.name
    default:
      return object.name
  }
}

/**
 * Parse OpenSLO v1 documents spread over several files (`---` between documents; empty ones are
 * skipped) into the SLOs to evaluate: kinds `SLO`, `SLI`, `Service`, `AlertPolicy`,
 * `AlertCondition` and `AlertNotificationTarget`, references resolved across files (`indicatorRef`
 * → an SLI, `alertPolicyRef` → a policy, `conditionRef` → a condition, `targetRef` → a target; an
 * SLO's `service` must name a declared Service when any is declared). Throws `SloInvalidError`
 * listing every problem, each with file, document, field path, line and column.
 */
export function parseOpenSloFiles(files: readonly OpenSloFile[]): SloDefinition[] {
  const problems: SloProblem[] = []
  const invalid: InvalidNames = new Map()
  const objects = files.flatMap((file) => readObjects(file, problems, invalid))
  const byKind = new Map<string, Map<string, OpenSloObject>>()
  for (const object of objects) {
    const named = byKind.get(object.kind) ?? new Map<string, OpenSloObject>()
    byKind.set(object.kind, named)
    const name = nameOf(object)
    const first = named.get(name)
    if (first) {
      object.check.report(
        ['metadata', 'name'],
        `${object.kind} "${name}" is already defined in ${first.check.source} (document ${first.check.index})`,
      )
      continue
    }
    named.set(name, object)
  }
  const find = <K extends OpenSloObject['kind']>(kind: K, name: string) =>
    byKind.get(kind)?.get(name) as Extract<OpenSloObject, { kind: K }> | undefined
  const known = (kind: string) => [...(byKind.get(kind)?.keys() ?? [])].join(', ') || 'none'
  /** Report a reference to nothing, unless it names an object whose own problems are reported already. */
  const dangling = (check: DocumentChecker | undefined, path: Path, kind: string, name: string) => {
    if (!invalid.get(kind)?.has(name))
      check?.report(path, `no ${kind} named "${name}" (declared: ${known(kind)})`)
  }

  /** The policy's condition; a missing one is reported through `check`, or not at all without it. */
  const resolveCondition = (policy: AlertPolicyObject, check?: DocumentChecker) => {
    if (policy.condition === undefined || !('ref' in policy.condition)) return policy.condition
    const condition = find('AlertCondition', policy.condition.ref)?.condition
    if (!condition) dangling(check, policy.condition.path, 'AlertCondition', policy.condition.ref)
    return condition
  }
  for (const object of objects) {
    if (object.kind !== 'AlertPolicy') continue
    resolveCondition(object.policy, object.check)
    for (const target of object.policy.targetRefs)
      if (!find('AlertNotificationTarget', target.ref))
        dangling(object.check, target.path, 'AlertNotificationTarget', target.ref)
  }

  const slos: SloDefinition[] = []
  for (const object of byKind.get('SLO')?.values() ?? []) {
    if (object.kind !== 'SLO') continue
    const { check, slo } = object
    let indicator = slo.indicator
    if (object.indicatorRef) {
      indicator = find('SLI', object.indicatorRef.ref)?.indicator
      if (!indicator) dangling(check, object.indicatorRef.path, 'SLI', object.indicatorRef.ref)
    }
    if (byKind.has('Service') && !find('Service', slo.service))
      check.report(object.servicePath, `no Service named "${slo.service}" (declared: ${known('Service')})`)
    const tiers = []
    let tiersOk = true
    for (const item of object.policies) {
      let policy: AlertPolicyObject | undefined
      if ('ref' in item && typeof item.ref === 'string') {
        policy = find('AlertPolicy', item.ref)?.policy
        if (!policy) dangling(check, item.path, 'AlertPolicy', item.ref)
      } else {
        policy = item as AlertPolicyObject
        // An inline policy's references are the SLO document's to report.
        for (const target of policy.targetRefs)
          if (!find('AlertNotificationTarget', target.ref))
            dangling(check, target.path, 'AlertNotificationTarget', target.ref)
      }
      // A referenced policy's own problems were reported at its document above.
      const condition = policy && resolveCondition(policy, 'ref' in item ? undefined : check)
      if (condition) tiers.push(condition.tier)
      else tiersOk = false
    }
    if (!indicator || !tiersOk) continue
    slos.push({ ...slo, indicator, ...(tiers.length > 0 ? { tiers } : {}) })
  }
  if (problems.length > 0) {
    // In file order, as a person fixes them; references are checked after every file is read.
    const order = new Map(files.map((file, i) => [file.source, i]))
    problems.sort(
      (a, b) =>
        (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0) ||
        a.document - b.document ||
        (a.line ?? 0) - (b.line ?? 0),
    )
    throw new SloInvalidError(problems)
  }
  return slos
}

/**
 * Parse one YAML text of OpenSLO v1 documents (see `parseOpenSloFiles`; references resolve within
 * the text). Throws `SloInvalidError` listing every problem.
 */
export function parseOpenSlo(text: string, options: ParseOpenSloOptions = {}): SloDefinition[] {
  return parseOpenSloFiles([{ source: options.source ?? '<input>', text }])
}
