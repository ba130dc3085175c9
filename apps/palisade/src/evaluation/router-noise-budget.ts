/** One rule's noise budget as the all-in-one's router reports it on /metrics. */
export interface RouterNoiseBudget {
  rule: string
  /** Notifications in the rule's latest hour of event time (the fullest tenant). */
  spent: number
  limit: number
  /** Alerts collapsed into the rule's digest since the router started. */
  collapsed: number
}

const SAMPLE =
  /^palisade_alert_router_(noise_budget_spent|noise_budget_limit|noise_collapsed_alerts)\{rule="((?:[^"\\]|\\.)*)"\} (\S+)$/gm

/** The router's noise budget per rule, read from a Prometheus text exposition; most collapsed first. */
export function routerNoiseBudgetOf(exposition: string): RouterNoiseBudget[] {
  const rules = new Map<string, RouterNoiseBudget>()
  for (const [, metric, escaped, value] of exposition.matchAll(SAMPLE)) {
    const rule = escaped!.replace(/\\(.)/g, '$1')
    const entry = rules.get(rule) ?? { rule, spent: 0, limit: 0, collapsed: 0 }
    const number = Number(value)
    if (metric === 'noise_budget_spent') entry.spent = number
    else if (metric === 'noise_budget_limit') entry.limit = number
    else entry.collapsed = number
    rules.set(rule, entry)
  }
  return [...rules.values()].sort((a, b) => b.collapsed - a.collapsed || a.rule.localeCompare(b.rule))
}

/** The report's lines for it: one per rule. */
export function routerNoiseBudgetReport(rules: readonly RouterNoiseBudget[]): string {
  const lines = ['router noise budget (its /metrics)       spent/limit  alerts collapsed']
  for (const rule of rules)
    lines.push(
      `  ${rule.rule.padEnd(38)}${`${rule.spent}/${rule.limit}`.padStart(11)}  ${String(rule.collapsed).padStart(16)}`,
    )
  if (rules.length === 0) lines.push('  (no rule notified)')
  return lines.join('\n')
}
