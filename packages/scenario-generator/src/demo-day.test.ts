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
    expect(incidents.map((incident) => incident.kind)).toEqual(['lateral_movement', 'auth_failure_burst'])
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
})
