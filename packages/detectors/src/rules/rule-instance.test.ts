import { type FlowEvent, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { Detector } from '../detector.ts'
import { runDetector } from '../run-detector.ts'
import { withNoiseControl } from './rule-instance.ts'

function flow(ts: number, src: string): { kind: 'flow'; event: FlowEvent } {
  const result = validateEvent(
    'flow',
    { ts, src_identity: src, dst_port: 22, event_id: `e${ts}${src}` },
    { tenant: 'acme', observedAt: ts },
  )
  if (!result.ok) throw new Error(result.reason)
  return { kind: 'flow', event: result.event }
}

/** Fires on every event: the noise controls alone decide what gets through. */
const everyEvent: Detector<null> = {
  id: 'test.every',
  kinds: ['flow'],
  keyOf: () => 'acme',
  initialState: () => null,
  step: (_state, event) => [
    {
      finding_id: event.event_id,
      tenant: event.tenant,
      ts: event.ts,
      rule: 'test.every',
      severity: 'page',
      title: 't',
      summary: 's',
      entities: { src_identity: (event as FlowEvent).src_identity ?? '-' },
      evidence: {},
    },
  ],
}

describe('withNoiseControl', () => {
  it('lets one finding per group through per dedup period, counting the rest into the next', () => {
    const rule = withNoiseControl(everyEvent, {
      dedupPeriodMs: 60_000,
      groupBy: ['src_identity'],
      runbookUrl: 'https://runbooks.example/x',
      mitre: ['T1046'],
    })
    const findings = runDetector(rule, [
      flow(0, 'a'),
      flow(10_000, 'a'),
      flow(20_000, 'b'),
      flow(30_000, 'a'),
      flow(61_000, 'a'),
    ])
    expect(findings.map((f) => [f.ts, f.entities.incident, f.evidence.suppressed_since_last])).toEqual([
      [0, 'a', undefined],
      [20_000, 'b', undefined],
      [61_000, 'a', 2],
    ])
    expect(findings[0]!.evidence).toMatchObject({
      runbook_url: 'https://runbooks.example/x',
      mitre: ['T1046'],
    })
  })

  it('keeps its memory bounded: groups older than a period are forgotten', () => {
    const rule = withNoiseControl(everyEvent, { dedupPeriodMs: 1000, groupBy: ['src_identity'] })
    const states = new Map()
    runDetector(
      rule,
      Array.from({ length: 5000 }, (_, i) => flow(i * 1000, `w${i}`)),
      states,
    )
    const [state] = [...states.values()] as { fired: Record<string, unknown> }[]
    expect(Object.keys(state!.fired).length).toBeLessThan(100)
  })
})
