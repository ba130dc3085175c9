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
})
