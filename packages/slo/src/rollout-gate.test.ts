import { describe, expect, it } from 'vitest'
import { rolloutGate } from './rollout-gate.ts'
import type { SloDefinition } from './slo-definition.ts'
import { evaluateSlo } from './slo-evaluation.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const t0 = Date.UTC(2026, 0, 15, 12)

const slo: SloDefinition = {
  name: 'auth-success',
  displayName: 'Auth success',
  service: 'identity',
  objective: 0.999,
  window: '30d',
  windowMs: 30 * DAY,
  indicator: { rollup: 'auth', bad: { system_failures: 1 }, total: { attempts: 1 }, declared: 'bad' },
  runbookUrl: 'https://runbooks.palisade.dev/slo/auth-success',
  origin: { source: 'test', document: 1 },
}

/** A status burning at `short` over windows up to 30m, and `long` over 1h and longer windows up to 6h. */
function status(short: number, long: number) {
  const windows = [5 * MIN, 30 * MIN, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY, 30 * DAY]
  const sums = windows.map((windowMs) => ({
    windowMs,
    bad: windowMs <= 30 * MIN ? short : windowMs <= 6 * HOUR ? long : 0,
    total: 1000,
    firstMinute: t0 - windowMs,
  }))
  return evaluateSlo(slo, sums, t0)
}

describe('rolloutGate', () => {
  it('freezes a service while one of its SLOs burns above 2x over the hour and still over 5 minutes', () => {
    const gate = rolloutGate([status(3, 3)], 'identity')
    expect(gate).toMatchObject({ service: 'identity', state: 'frozen', frozen: true, open: false })
    expect(gate.reasons).toEqual([
      expect.objectContaining({
        slo: 'auth-success',
        burnRate1h: expect.closeTo(3, 6),
        burnRate5m: expect.closeTo(3, 6),
      }),
    ])
    expect(gate.message).toContain('Auth success burning 3× its budget over the last hour')
  })

  it('stays open below 2x over the hour, and opens once the short window recovers', () => {
    expect(rolloutGate([status(3, 1.5)], 'identity').state).toBe('open')
    expect(rolloutGate([status(1, 3)], 'identity').state).toBe('open')
  })

  it('looks at the service asked for only, and opens a service without SLOs', () => {
    expect(rolloutGate([status(3, 3)], 'policy')).toMatchObject({ state: 'open', slos: [] })
  })
})
