import { describe, expect, it } from 'vitest'
import { promtoolCheckMetrics } from './promtool-check-metrics.ts'

describe('promtoolCheckMetrics', () => {
  it('accepts a well-formed exposition', async () => {
    const verdict = await promtoolCheckMetrics(
      [
        '# HELP palisade_events_total Events accepted.',
        '# TYPE palisade_events_total counter',
        'palisade_events_total{kind="flow"} 3',
        '',
      ].join('\n'),
    )
    expect(verdict).toEqual({ ok: true, output: '' })
  })

  it('flags text that does not parse', async () => {
    const verdict = await promtoolCheckMetrics('palisade_events_total{kind="flow" 3\n')
    expect(verdict.ok).toBe(false)
    expect(verdict.output).toMatch(/parsing error/)
  })

  it('flags a counter without the _total suffix and a metric without HELP', async () => {
    const verdict = await promtoolCheckMetrics('# TYPE palisade_events counter\npalisade_events 3\n')
    expect(verdict.ok).toBe(false)
    expect(verdict.output).toMatch(/_total/)
    expect(verdict.output).toMatch(/no help text/)
  })
})
