import { describe, expect, it } from 'vitest'
import { createRecentIds } from './recent-ids.ts'

describe('recent ids', () => {
  it('reports a repeat within the window and forgets the oldest beyond it', () => {
    const recent = createRecentIds(3)
    expect(['a', 'b', 'a', 'c'].map((id) => recent.add(id))).toEqual([true, true, false, true])
    expect(recent.add('d')).toBe(true) // evicts a
    expect(recent.add('a')).toBe(true)
    expect(recent.add('c')).toBe(false)
  })
})
