import { describe, expect, it } from 'vitest'
import { createNoiseBudget } from './noise-budget.ts'

const T0 = Date.UTC(2026, 10, 23, 10)
const m = 60_000

describe('noise budget', () => {
  it('allows perHour notifications per rule and tenant in a sliding hour', () => {
    const budget = createNoiseBudget({ perHour: 3, rules: {} })
    for (let i = 0; i < 3; i++) {
      expect(budget.allows('acme', 'lateral.cross_namespace', T0 + i * m)).toBe(true)
      budget.spend('acme', 'lateral.cross_namespace', T0 + i * m)
    }
    expect(budget.allows('acme', 'lateral.cross_namespace', T0 + 10 * m)).toBe(false)
    expect(budget.allows('globex', 'lateral.cross_namespace', T0 + 10 * m)).toBe(true)
    expect(budget.allows('acme', 'lateral.new_edge', T0 + 10 * m)).toBe(true)
    expect(budget.allows('acme', 'lateral.cross_namespace', T0 + 60 * m)).toBe(true)
  })

  it('takes a rule override before the default', () => {
    const budget = createNoiseBudget({ perHour: 10, rules: { 'auth.failures': 1 } })
    budget.spend('acme', 'auth.failures', T0)
    expect(budget.allows('acme', 'auth.failures', T0)).toBe(false)
    expect(budget.limitOf('other')).toBe(10)
  })

  it('ends its hour at the newest event time of the rule, so late news of an old hour counts in that hour', () => {
    const budget = createNoiseBudget({ perHour: 2, rules: {} })
    budget.spend('acme', 'r', T0 + 90 * m)
    budget.spend('acme', 'r', T0 + 100 * m)
    // News from two hours earlier arriving now: the rule's window is where its newest news is.
    expect(budget.allows('acme', 'r', T0)).toBe(false)
    expect(budget.allows('acme', 'r', T0 + 160 * m)).toBe(true)
  })

  it('restores persisted spends and reports usage per tenant and rule', () => {
    const budget = createNoiseBudget({ perHour: 3, rules: { r: 2 } })
    budget.restore([
      { tenant: 'acme', rule: 'r', at: T0 + 5 * m, incident: 'a' },
      { tenant: 'acme', rule: 'r', at: T0, incident: 'b' },
      { tenant: 'acme', rule: 'q', at: T0 - 2 * 60 * m, incident: 'c' },
    ])
    expect(budget.allows('acme', 'r', T0 + 10 * m)).toBe(false)
    budget.collapse('acme', 'r', 4)
    expect(budget.usage()).toEqual([
      { tenant: 'acme', rule: 'r', limit: 2, spent: 2, peak: 2, collapsed: 4, newest: T0 + 10 * m },
      { tenant: 'acme', rule: 'q', limit: 3, spent: 1, peak: 1, collapsed: 0, newest: T0 - 2 * 60 * m },
    ])
  })
})
