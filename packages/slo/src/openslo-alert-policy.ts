import { parseDuration } from '@palisade/duration'
import type { BurnRateTier } from './burn-rate.ts'
import type { DocumentChecker, Mapping, Path } from './openslo-checker.ts'
import { formatWindow, parseWindow } from './window-duration.ts'

/*
 * OpenSLO v1 alerting objects, mapped onto our multiwindow burn-rate tiers
 * (https://github.com/OpenSLO/OpenSLO#alertpolicy):
 *
 *   kind: AlertCondition
 *   spec: { description?, severity: page | ticket,
 *           condition: { kind?: burnrate, op: gt | gte, threshold: <burn rate>, lookbackWindow: <window>,
 *                        alertAfter?: 0m } }
 *
 *   kind: AlertPolicy
 *   spec: { description?, alertWhenBreaching?: true, alertWhenResolved?: <bool>, alertWhenNoData?: false,
 *           conditions: [ { conditionRef: <name> } | <inline AlertCondition> ],      # exactly one
 *           notificationTargets: [ { targetRef: <name> } | <inline AlertNotificationTarget> ] }
 *
 *   kind: AlertNotificationTarget
 *   spec: { target: <text>, description? }
 *
 * A condition becomes one tier: its `lookbackWindow` is the long window and a twelfth of it the
 * short window (the SRE Workbook's ratio: 1h/5m, 6h/30m, 24h/2h, 3d/6h), so an alert still resolves
 * minutes after the burn stops. A tier fires when both windows burn faster than the threshold, so
 * only `gt`/`gte` make sense. Where the page or ticket goes is decided by `routing.yaml`; targets
 * are checked (a `targetRef` must name a declared target) but do not route.
 */

/** The fields every OpenSLO object's metadata may carry. */
export const METADATA_FIELDS = ['name', 'displayName', 'labels', 'annotations'] as const

/** Names of objects other than SLOs: the spec's own examples use `AlertPolicy`, `OnCallDevopsMailNotification`. */
const OBJECT_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,251}[A-Za-z0-9])?$/

/** A validated `AlertCondition`: the tier it stands for. */
export interface AlertConditionObject {
  name: string
  tier: BurnRateTier
}

/** A validated `AlertPolicy`, its references not yet resolved. */
export interface AlertPolicyObject {
  name: string
  /** The inline condition, or the name of one to find and where the reference is; undefined when invalid. */
  condition: AlertConditionObject | { ref: string; path: Path } | undefined
  targetRefs: { ref: string; path: Path }[]
}

/** `metadata.name` of a non-SLO object, checked; undefined (and reported) when missing or malformed. */
export function objectName(check: DocumentChecker, metadata: unknown, path: Path): string | undefined {
  const meta = check.mapping(metadata, path, METADATA_FIELDS)
  if (!meta) return undefined
  const name = check.text(meta.name, [...path, 'name'], { required: true, max: 253 })
  if (meta.displayName !== undefined)
    check.text(meta.displayName, [...path, 'displayName'], { required: false })
  if (name !== undefined && !OBJECT_NAME.test(name)) {
    check.report([...path, 'name'], `"${name}" must be letters, digits, "-", "_" and "."`)
    return undefined
  }
  return name
}

/** The `spec` of an `AlertCondition` (top-level or inline under a policy's `conditions`). */
export function checkAlertCondition(
  check: DocumentChecker,
  value: Mapping,
  path: Path,
): AlertConditionObject | undefined {
  const name = objectName(check, value.metadata, [...path, 'metadata'])
  const spec = check.mapping(value.spec, [...path, 'spec'], ['description', 'severity', 'condition'])
  if (!spec) return undefined
  check.text(spec.description, [...path, 'spec', 'description'], { required: false, max: 1050 })
  const severityPath = [...path, 'spec', 'severity']
  let severity: BurnRateTier['severity'] | undefined
  if (spec.severity === 'page' || spec.severity === 'ticket') severity = spec.severity
  else
    check.report(
      severityPath,
      spec.severity === undefined
        ? 'is required: page or ticket'
        : `must be page or ticket (the two tiers routing knows), got ${JSON.stringify(spec.severity)}`,
    )
  const conditionPath = [...path, 'spec', 'condition']
  const condition = check.mapping(spec.condition, conditionPath, [
    'kind',
    'op',
    'threshold',
    'lookbackWindow',
    'alertAfter',
  ])
  if (!condition) return undefined
  if (condition.kind !== undefined)
    check.exactly(
      condition.kind,
      [...conditionPath, 'kind'],
      'burnrate',
      'the one condition kind of OpenSLO v1',
    )
  if (condition.op !== 'gt' && condition.op !== 'gte')
    check.report(
      [...conditionPath, 'op'],
      condition.op === undefined
        ? 'is required: gt or gte'
        : `must be gt or gte: a burn-rate tier fires when the budget burns faster than the threshold, got ${JSON.stringify(condition.op)}`,
    )
  const threshold = condition.threshold
  const thresholdOk = typeof threshold === 'number' && threshold > 0 && Number.isFinite(threshold)
  if (!thresholdOk)
    check.report(
      [...conditionPath, 'threshold'],
      threshold === undefined
        ? 'is required: a burn rate such as 14.4'
        : `must be a burn rate above 0, got ${JSON.stringify(threshold)}`,
    )
  const lookback = check.text(condition.lookbackWindow, [...conditionPath, 'lookbackWindow'], {
    required: true,
  })
  const lookbackMs = lookback === undefined ? undefined : parseWindow(lookback)
  let shortWindow: string | undefined
  if (lookback !== undefined) {
    if (lookbackMs === undefined || lookbackMs < 12 * 60_000)
      check.report(
        [...conditionPath, 'lookbackWindow'],
        `"${lookback}" must be a window of at least 12m, such as 1h or 6h (its short window is a twelfth of it)`,
      )
    else shortWindow = formatWindow(Math.floor(lookbackMs / 12 / 60_000) * 60_000)
  }
  if (condition.alertAfter !== undefined) {
    const after = typeof condition.alertAfter === 'string' ? parseDuration(condition.alertAfter) : undefined
    if (after !== 0)
      check.report(
        [...conditionPath, 'alertAfter'],
        'is not supported beyond 0m: the short window already makes an alert wait for a sustained burn',
      )
  }
  if (name === undefined || severity === undefined || !thresholdOk || lookback === undefined || !shortWindow)
    return undefined
  if (condition.op !== 'gt' && condition.op !== 'gte') return undefined
  return { name, tier: { severity, threshold: threshold as number, longWindow: lookback, shortWindow } }
}

/** A `{ <refKey>: name }` item or an inline object of `kind`; the ref with its path, or the inline mapping. */
export function refOrInline(
  check: DocumentChecker,
  value: unknown,
  path: Path,
  refKey: string,
  kind: string,
): { ref: string; path: Path } | Mapping | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && refKey in value) {
    const item = check.mapping(value, path, [refKey])
    const ref = check.text(item?.[refKey], [...path, refKey], { required: true, max: 253 })
    return ref === undefined ? undefined : { ref, path: [...path, refKey] }
  }
  const inline = check.mapping(value, path, ['kind', 'metadata', 'spec'])
  if (!inline) return undefined
  if (!check.exactly(inline.kind, [...path, 'kind'], kind, `inline, or { ${refKey}: <name> }`))
    return undefined
  return inline
}

/** The `spec` of an `AlertPolicy` (top-level or inline under an SLO's `alertPolicies`). */
export function checkAlertPolicy(
  check: DocumentChecker,
  value: Mapping,
  path: Path,
): AlertPolicyObject | undefined {
  const name = objectName(check, value.metadata, [...path, 'metadata'])
  const specPath = [...path, 'spec']
  const spec = check.mapping(value.spec, specPath, [
    'description',
    'alertWhenNoData',
    'alertWhenResolved',
    'alertWhenBreaching',
    'conditions',
    'notificationTargets',
  ])
  if (!spec) return undefined
  check.text(spec.description, [...specPath, 'description'], { required: false, max: 1050 })
  if (spec.alertWhenBreaching !== undefined)
    check.exactly(
      spec.alertWhenBreaching,
      [...specPath, 'alertWhenBreaching'],
      true,
      'a policy alerts on a breach',
    )
  if (spec.alertWhenNoData !== undefined)
    check.exactly(spec.alertWhenNoData, [...specPath, 'alertWhenNoData'], false, 'no traffic is not a burn')
  // Resolves are always sent (the router needs them to close a page); either value is accepted.
  if (spec.alertWhenResolved !== undefined && typeof spec.alertWhenResolved !== 'boolean')
    check.report([...specPath, 'alertWhenResolved'], 'must be true or false')
  const conditionsPath = [...specPath, 'conditions']
  const only = check.single(spec.conditions, conditionsPath, 'condition')
  let condition: AlertPolicyObject['condition'] | undefined
  if (only !== undefined) {
    const item = refOrInline(check, only, [...conditionsPath, 0], 'conditionRef', 'AlertCondition')
    if (item && 'ref' in item && typeof item.ref === 'string') condition = item as { ref: string; path: Path }
    else if (item) condition = checkAlertCondition(check, item as Mapping, [...conditionsPath, 0])
  }
  const targetsPath = [...specPath, 'notificationTargets']
  const targetRefs: { ref: string; path: Path }[] = []
  if (!Array.isArray(spec.notificationTargets) || spec.notificationTargets.length === 0)
    check.report(targetsPath, 'is required: a list of { targetRef: <name> } or inline targets')
  else
    spec.notificationTargets.forEach((target, i) => {
      const item = refOrInline(check, target, [...targetsPath, i], 'targetRef', 'AlertNotificationTarget')
      if (item && 'ref' in item && typeof item.ref === 'string')
        targetRefs.push(item as { ref: string; path: Path })
      else if (item) checkNotificationTarget(check, item as Mapping, [...targetsPath, i])
    })
  // Kept with an invalid condition, so that its target references are still checked.
  if (name === undefined) return undefined
  return { name, condition, targetRefs }
}

/** The `spec` of an `AlertNotificationTarget`; its name when valid. */
export function checkNotificationTarget(
  check: DocumentChecker,
  value: Mapping,
  path: Path,
): string | undefined {
  const name = objectName(check, value.metadata, [...path, 'metadata'])
  const spec = check.mapping(value.spec, [...path, 'spec'], ['target', 'description'])
  if (!spec) return undefined
  const target = check.text(spec.target, [...path, 'spec', 'target'], { required: true })
  check.text(spec.description, [...path, 'spec', 'description'], { required: false, max: 1050 })
  return target === undefined ? undefined : name
}
