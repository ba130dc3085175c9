import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { generateDemoTelemetry } from './demo-day.ts'

const to = Date.UTC(2026, 10, 23, 16)
const from = to - 3 * 3_600_000

describe('generateDemoTelemetry', () => {
  const { records, incidents } = generateDemoTelemetry({ seed: 7, from, to })

  it('is deterministic for a seed', () => {
    expect(generateDemoTelemetry({ seed: 7, from, to }).records).toEqual(records)
    expect(generateDemoTelemetry({ seed: 8, from, to }).records).not.toEqual(records)
  })

  it('writes only valid events of the native schema, with unique ids', () => {
    for (const { kind, record } of records) {
      const result = validateEvent(kind, record, { tenant: 't', observedAt: 0 })
      expect(result.ok, result.ok ? '' : result.reason).toBe(true)
    }
    expect(new Set(records.map((r) => r.record.event_id)).size).toBe(records.length)
  })

  it('labels both injected incidents, and the burst is visible in the auth failures', () => {
    expect(incidents.map((incident) => incident.kind)).toEqual([
      'lateral_movement',
      'auth_failure_burst',
      'token_refresh_storm',
    ])
    const burst = incidents[1]!
    const auth = records.filter((r) => r.kind === 'auth')
    const systemRate = (inBurst: boolean) => {
      const window = auth.filter((r) => (r.record.ts >= burst.from && r.record.ts < burst.to) === inBurst)
      return window.filter((r) => r.record.failure_kind === 'system').length / window.length
    }
    expect(systemRate(true)).toBeGreaterThan(0.2)
    expect(systemRate(false)).toBeLessThan(0.002)
    expect(
      records.some(
        (r) =>
          r.kind === 'flow' &&
          String(r.record.src_identity).endsWith('frontend') &&
          r.record.dst_port === 5432,
      ),
    ).toBe(true)
  })

  it('feeds every kind the SLIs read, with a refresh storm while the incidents run', () => {
    const kinds = new Set(records.map((r) => r.kind))
    expect([...kinds].sort()).toEqual([
      'auth',
      'decision',
      'flow',
      'mtls',
      'policy_change',
      'posture',
      'token',
    ])
    const storm = incidents[2]!
    const refreshes = (inStorm: boolean) =>
      records.filter(
        (r) =>
          r.kind === 'token' &&
          r.record.action === 'refresh' &&
          r.record.service === 'mobile-app' &&
          (r.record.ts >= storm.from && r.record.ts < storm.to) === inStorm,
      )
    const perMinute = (list: unknown[], minutes: number) => list.length / minutes
    const stormMinutes = (storm.to - storm.from) / 60_000
    expect(perMinute(refreshes(true), stormMinutes)).toBeGreaterThan(
      5 * perMinute(refreshes(false), (to - from) / 60_000 - stormMinutes),
    )
    expect(records.some((r) => r.kind === 'policy_change' && r.record.change_type === 'rollout')).toBe(true)
    expect(
      records.some((r) => r.kind === 'flow' && r.record.verdict === 'denied' && r.record.dst_port === 4444),
    ).toBe(true)
  })
})
