import { describe, expect, it } from 'vitest'
import { worstFirst } from './slo-order.ts'
import type { SloStatus } from './slo-status.ts'

function status(name: string, budgetRemaining: number, firing: 'page' | 'ticket' | 'none'): SloStatus {
  return {
    name,
    budgetRemaining,
    tiers: [
      { severity: 'page', threshold: 14.4, longWindow: '1h', shortWindow: '5m', firing: firing === 'page' },
      { severity: 'ticket', threshold: 1, longWindow: '3d', shortWindow: '6h', firing: firing === 'ticket' },
    ],
  } as SloStatus
}

describe('worstFirst', () => {
  it('puts paging SLOs first, then ticketing ones, then the rest, each by budget left', () => {
    const order = worstFirst([
      status('calm', 0.9, 'none'),
      status('spent', -2, 'none'),
      status('ticketing', 0.4, 'ticket'),
      status('paging-more-left', 0.8, 'page'),
      status('paging', 0.1, 'page'),
    ]).map((s) => s.name)
    expect(order).toEqual(['paging', 'paging-more-left', 'ticketing', 'spent', 'calm'])
  })

  it('orders ties by name and leaves its input alone', () => {
    const input = [status('b', 1, 'none'), status('a', 1, 'none')]
    expect(worstFirst(input).map((s) => s.name)).toEqual(['a', 'b'])
    expect(input.map((s) => s.name)).toEqual(['b', 'a'])
  })
})
