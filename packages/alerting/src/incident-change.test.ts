import type { Alert } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { escalationReasons, incidentFacts } from './incident-change.ts'

function alert(labels: Record<string, string>): Alert {
  return {
    tenant: 'acme',
    labels: {
      alertname: 'lateral.new_edge',
      severity: 'ticket',
      incident: 'web',
      ...labels,
    } as Alert['labels'],
    annotations: {},
    status: 'firing',
    starts_at: 0,
  }
}

describe('incident change', () => {
  const told = incidentFacts([alert({ src_workload: 'frontend/web', dst_workload: 'shop/api' })])

  it('finds no news in more alerts of the same rule, severity and entity roles', () => {
    const now = incidentFacts([alert({ src_workload: 'frontend/web', dst_workload: 'shop/db' })])
    expect(escalationReasons(told, now)).toEqual([])
  })

  it('finds no news in the pod, address or SPIFFE ID of a workload it already names (its other names)', () => {
    const now = incidentFacts([
      alert({
        src_workload: 'frontend/web',
        dst_workload: 'shop/api',
        src_pod: 'frontend/web-7c9d8b6f5d-x2x4k',
        src_ip: '10.244.1.7',
        dst_spiffe_id: 'spiffe://cluster.local/ns/shop/sa/api',
      }),
    ])
    expect(escalationReasons(told, now)).toEqual([])
  })

  it('names a new rule, a higher severity and a new kind of evidence', () => {
    const now = incidentFacts([
      alert({ src_workload: 'frontend/web', dst_workload: 'shop/api' }),
      alert({
        alertname: 'lateral.fan_out_scan',
        severity: 'page',
        src_workload: 'frontend/web',
        user: 'mallory',
      }),
    ])
    expect(escalationReasons(told, now)).toEqual([
      'rule=lateral.fan_out_scan',
      'severity=page',
      'evidence=user',
    ])
  })
})
