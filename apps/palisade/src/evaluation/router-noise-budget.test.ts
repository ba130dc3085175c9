import { describe, expect, it } from 'vitest'
import { routerNoiseBudgetOf, routerNoiseBudgetReport } from './router-noise-budget.ts'

describe('router noise budget from /metrics', () => {
  it('reads spent, limit and collapsed per rule, most collapsed first', () => {
    const exposition = [
      '# HELP palisade_alert_router_noise_budget_spent x',
      '# TYPE palisade_alert_router_noise_budget_spent gauge',
      'palisade_alert_router_noise_budget_spent{rule="lateral.new_edge"} 3',
      'palisade_alert_router_noise_budget_spent{rule="lateral.cross_namespace"} 10',
      'palisade_alert_router_noise_budget_limit{rule="lateral.new_edge"} 10',
      'palisade_alert_router_noise_budget_limit{rule="lateral.cross_namespace"} 10',
      'palisade_alert_router_noise_collapsed_alerts{rule="lateral.new_edge"} 0',
      'palisade_alert_router_noise_collapsed_alerts{rule="lateral.cross_namespace"} 14536',
      'palisade_alert_router_notifications_planned_total{receiver="pagerduty",reason="opened"} 4',
    ].join('\n')
    const rules = routerNoiseBudgetOf(exposition)
    expect(rules).toEqual([
      { rule: 'lateral.cross_namespace', spent: 10, limit: 10, collapsed: 14536 },
      { rule: 'lateral.new_edge', spent: 3, limit: 10, collapsed: 0 },
    ])
    expect(routerNoiseBudgetReport(rules)).toMatch(/lateral\.cross_namespace\s+10\/10\s+14536/)
  })
})
