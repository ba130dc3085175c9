/** How loud a finding or alert is: `page` wakes on-call, `ticket` waits for working hours. */
export type Severity = 'page' | 'ticket' | 'info'

/**
 * A detector's conclusion, explained: which rule, about which entities, why (`summary`), and the
 * evidence (event ids, counts, baseline) a person needs to check it.
 */
export interface Finding {
  /** Content-derived (rule, tenant, entity, triggering event), so a replay produces the same id. */
  finding_id: string
  tenant: string
  /** Event time of the triggering event, epoch ms. */
  ts: number
  /** Wall-clock time the detector produced it, epoch ms. */
  detected_at: number
  /** Rule id, such as `lateral.new_edge`. */
  rule: string
  severity: Severity
  title: string
  /** One readable sentence naming the entities as they appear in the records and why it fired. */
  summary: string
  /** The entities involved, by role: `src_identity`, `dst_identity`, `principal`, ... */
  entities: Record<string, string>
  /** Event ids, counts and baseline facts behind the finding. */
  evidence: Record<string, unknown>
}

/**
 * An alert as the router sees it, from a finding or from the SLO evaluator. Sources re-send firing
 * alerts (the SLO evaluator every minute); the router keeps them one incident by `labels`.
 */
export interface Alert {
  tenant: string
  /** Labels route, group and deduplicate: at least `alertname` and `severity`. */
  labels: Record<string, string> & { alertname: string; severity: Severity }
  /** Text for people: `summary`, `description`, `runbook_url`. */
  annotations: Record<string, string>
  status: 'firing' | 'resolved'
  /** When the condition started, epoch ms. */
  starts_at: number
  /**
   * When it ended, for resolved alerts, epoch ms. A firing alert may carry it too (Alertmanager's
   * `endsAt`): unless its source re-sends it with a later one, it resolves once that time passes.
   */
  ends_at?: number
  /** The id of the finding behind it, when there is one. */
  finding_id?: string
}
