import type { Finding } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { alertFromFinding } from './alert-from-finding.ts'

const finding: Finding = {
  finding_id: 'f-1',
  tenant: 'acme',
  ts: 1_700_000_000_000,
  detected_at: 1_700_000_001_000,
  rule: 'lateral.new_edge',
  severity: 'page',
  title: 'New service edge',
  summary: 'spiffe://acme/web talked to spiffe://acme/db on 5432 for the first time',
  entities: {
    src_identity: 'spiffe://acme/web',
    dst_identity: 'spiffe://acme/db',
    service: 'db',
    tenant: 'evil',
  },
  evidence: { event_ids: ['e1'] },
}

describe('alertFromFinding', () => {
  it('labels the alert with the rule, the severity and the entities, never the tenant', () => {
    expect(alertFromFinding(finding).labels).toEqual({
      alertname: 'lateral.new_edge',
      severity: 'page',
      src_identity: 'spiffe://acme/web',
      dst_identity: 'spiffe://acme/db',
      service: 'db',
    })
  })

  it('keeps the text in annotations and links the finding', () => {
    const alert = alertFromFinding(finding, {
      runbooks: { 'lateral.new_edge': 'https://runbooks.example/lateral' },
    })
    expect(alert).toMatchObject({
      tenant: 'acme',
      status: 'firing',
      starts_at: finding.ts,
      finding_id: 'f-1',
      annotations: {
        summary: finding.summary,
        description: 'New service edge',
        runbook_url: 'https://runbooks.example/lateral',
      },
    })
  })

  it('does not let an entity overwrite alertname or severity', () => {
    const alert = alertFromFinding({ ...finding, entities: { alertname: 'x', severity: 'info' } })
    expect(alert.labels).toEqual({ alertname: 'lateral.new_edge', severity: 'page' })
  })
})
