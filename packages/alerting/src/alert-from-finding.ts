import type { Alert, Finding } from '@palisade/schema'

/** Options for {@link alertFromFinding}. */
export interface AlertFromFindingOptions {
  /** Runbook link per rule id, overriding the one the rule put in the finding's evidence. */
  runbooks?: Readonly<Record<string, string>>
}

// Labels the router owns: entities may not overwrite them, and tenant is never a label.
const RESERVED = new Set(['alertname', 'severity', 'tenant'])

/**
 * A detector's finding as an alert: `alertname` = rule, `severity`, the finding's entities as labels
 * (so that they route, group and deduplicate), `summary`/`description`/`runbook_url` annotations and
 * the `finding_id` (the runbook and MITRE ATT&CK tags from the rule, carried in the evidence, become
 * annotations). Findings fire once: their alerts are `firing` and never resolved by the source.
 */
export function alertFromFinding(finding: Finding, options: AlertFromFindingOptions = {}): Alert {
  const entities = Object.fromEntries(
    Object.entries(finding.entities).filter(([name]) => !RESERVED.has(name)),
  )
  const fromRule = finding.evidence.runbook_url
  const runbook = options.runbooks?.[finding.rule] ?? (typeof fromRule === 'string' ? fromRule : undefined)
  const mitre = Array.isArray(finding.evidence.mitre) ? finding.evidence.mitre.join(', ') : undefined
  return {
    tenant: finding.tenant,
    labels: { ...entities, alertname: finding.rule, severity: finding.severity },
    annotations: {
      title: finding.title,
      summary: finding.summary,
      description: finding.title,
      ...(runbook ? { runbook_url: runbook } : {}),
      ...(mitre ? { mitre_attack: mitre } : {}),
    },
    status: 'firing',
    starts_at: finding.ts,
    finding_id: finding.finding_id,
  }
}
