import type { Alert } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { createNoiseDigests } from './noise-digest.ts'

function alert(i: number, service: string): { fingerprint: string; alert: Alert } {
  return {
    fingerprint: `f${i}`,
    alert: {
      tenant: 'acme',
      labels: { alertname: 'Flood', severity: 'ticket', service, instance: `i-${i % 7}` },
      annotations: {},
      status: 'firing',
      starts_at: 0,
    },
  }
}

describe('createNoiseDigests', () => {
  it('ranks the top entities as a full sort would: most alerts first, then by name', () => {
    const digests = createNoiseDigests()
    const services = ['pdp', 'sso', 'edge', 'db', 'mesh', 'api', 'web', 'auth']
    // Counts that tie and interleave: service s gets (s * 37) % 11 + 1 alerts.
    const alerts = services.flatMap((service, s) =>
      Array.from({ length: ((s * 37) % 11) + 1 }, (_, k) => alert(s * 100 + k, service)),
    )
    digests.add({ tenant: 'acme', rule: 'Flood', receiver: 'r', updateEveryMs: 1000 }, alerts, 0)
    const counts = new Map<string, number>()
    for (const { alert: a } of alerts)
      for (const name of ['service', 'instance'])
        counts.set(`${name}=${a.labels[name]}`, (counts.get(`${name}=${a.labels[name]}`) ?? 0) + 1)
    const expected = [...counts]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 5)
      .map(([entity, count]) => ({ entity, count }))
    const [digest] = digests.due(0)
    expect(digest?.top).toEqual(expected)
    expect(digest?.count).toBe(alerts.length)
  })
})
