import type { Alert, Severity } from '@palisade/schema'

/** What on-call was told an incident is made of: its rules, its highest severity, its kinds of evidence. */
export interface IncidentFacts {
  rules: Set<string>
  severity: Severity
  /** Entity roles the alerts name (`src_workload`, `user`, `client_ip`, ...), labels that carry evidence. */
  evidence: Set<string>
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, ticket: 1, page: 2 }
// Labels every alert has, or that repeat another label: never evidence of their own. The pod,
// address and SPIFFE ID of a workload are its other names (findings carry them for pivoting, when
// the record gave them): an alert naming a pod is no new kind of evidence.
const NOT_EVIDENCE = new Set([
  'alertname',
  'severity',
  'incident',
  'src_pod',
  'dst_pod',
  'src_ip',
  'dst_ip',
  'src_spiffe_id',
  'dst_spiffe_id',
])

/** The facts of a set of alerts. */
export function incidentFacts(alerts: Iterable<Alert>): IncidentFacts {
  const facts: IncidentFacts = { rules: new Set(), severity: 'info', evidence: new Set() }
  for (const alert of alerts) mergeFacts(facts, alert)
  return facts
}

/** Add one alert's facts to `facts` (in place). */
export function mergeFacts(facts: IncidentFacts, alert: Alert): void {
  facts.rules.add(alert.labels.alertname)
  if (SEVERITY_RANK[alert.labels.severity] > SEVERITY_RANK[facts.severity])
    facts.severity = alert.labels.severity
  for (const name of Object.keys(alert.labels)) if (!NOT_EVIDENCE.has(name)) facts.evidence.add(name)
}

/**
 * Why an open incident must notify on-call again rather than quietly update: a rule it did not
 * have, a higher severity, or a kind of evidence (an entity role) it did not name. Empty when the
 * alerts only add more of the same. Each reason is short and stable (`rule=lateral.scan`,
 * `severity=page`, `evidence=user`), so that it can key the escalation.
 */
export function escalationReasons(told: IncidentFacts, now: IncidentFacts): string[] {
  const reasons: string[] = []
  for (const rule of [...now.rules].sort()) if (!told.rules.has(rule)) reasons.push(`rule=${rule}`)
  if (SEVERITY_RANK[now.severity] > SEVERITY_RANK[told.severity]) reasons.push(`severity=${now.severity}`)
  for (const role of [...now.evidence].sort()) if (!told.evidence.has(role)) reasons.push(`evidence=${role}`)
  return reasons
}
