import { describe, expect, it } from 'vitest'
import { intentFromYaml, ref } from './testing/intent-from-yaml.ts'

const perimeter = `
apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata: { name: acme-perimeter }
spec:
  egress:
    - { host: api.stripe.com, ports: [443] }
    - { host: "*.s3.amazonaws.com" }
    - { cidr: 198.51.100.0/24 }
    - { cidr: "2001:db8:42::/48", ports: [443, 8443] }
  corporateEgress:
    cidrs: [203.0.113.0/24, "2001:db8:ffff::/48"]
    asns: [64500]
  sensitive:
    - payments/ledger-db
    - vault/*
  monitoring:
    - monitoring/prometheus
  knownDrops:
    - { from: monitoring/blackbox, to: shop/*, port: 9999 }
    - { to: shop/legacy }
  namespaceTenants:
    team-a: tenant-a
    team-b: tenant-b
  privileged: [Root.Admin@acme.example, "*@admins.acme.example"]
  changes:
    - id: CHG-1042
      from: 2026-01-07T14:00:00Z
      to: 2026-01-07T15:00:00Z
      description: Roll out checkout v2
      workloads: [shop/checkout]
      policies: [authz-bundle]
      addsEdges:
        - { from: shop/checkout, to: payments/ledger, port: 8443 }
    - id: CHG-1043
      from: 2026-01-07T14:30:00+01:00
      to: 2026-01-08T00:00:00Z
`

const at = (iso: string) => Date.parse(iso)

describe('PalisadeIntent', () => {
  const { intent, problems } = intentFromYaml(perimeter)

  it('reads the example file without problems', () => {
    expect(problems).toEqual([])
    expect(intent.sources).toEqual(['test.yaml#1 (PalisadeIntent acme-perimeter)'])
  })

  it('declares egress hosts exactly or by suffix, on their ports', () => {
    const by = 'PalisadeIntent/acme-perimeter'
    expect(intent.declaredEgress({ host: 'api.stripe.com', port: 443 })).toEqual({ declared: true, by })
    expect(intent.declaredEgress({ host: 'API.STRIPE.COM.', port: 443 }).declared).toBe(true)
    expect(intent.declaredEgress({ host: 'api.stripe.com', port: 80 }).declared).toBe(false)
    expect(intent.declaredEgress({ host: 'evil-api.stripe.com', port: 443 }).declared).toBe(false)
    expect(intent.declaredEgress({ host: 'bucket.eu.s3.amazonaws.com', port: 443 }).declared).toBe(true)
    // `*.suffix` covers sub-domains, not the apex, nor look-alikes.
    expect(intent.declaredEgress({ host: 's3.amazonaws.com' }).declared).toBe(false)
    expect(intent.declaredEgress({ host: 'xs3.amazonaws.com' }).declared).toBe(false)
  })

  it('declares egress CIDRs for IPv4 and IPv6', () => {
    expect(intent.declaredEgress({ ip: '198.51.100.77', port: 22 }).declared).toBe(true)
    expect(intent.declaredEgress({ ip: '198.51.101.1' }).declared).toBe(false)
    expect(intent.declaredEgress({ ip: '::ffff:198.51.100.9' }).declared).toBe(true)
    expect(intent.declaredEgress({ ip: '2001:db8:42:1::10', port: 8443 }).declared).toBe(true)
    expect(intent.declaredEgress({ ip: '2001:db8:42:1::10', port: 22 }).declared).toBe(false)
    expect(intent.declaredEgress({ ip: '2001:db8:43::1', port: 443 }).declared).toBe(false)
    expect(intent.declaredEgress({ ip: 'not-an-ip' }).declared).toBe(false)
  })

  it('knows corporate egress by CIDR or ASN', () => {
    expect(intent.isCorporateEgress({ ip: '203.0.113.50' })).toBe(true)
    expect(intent.isCorporateEgress({ ip: '2001:db8:ffff:1::1' })).toBe(true)
    expect(intent.isCorporateEgress({ ip: '192.0.2.1' })).toBe(false)
    expect(intent.isCorporateEgress({ ip: '192.0.2.1', asn: 64500 })).toBe(true)
    expect(intent.isCorporateEgress({ asn: 64501 })).toBe(false)
  })

  it('knows sensitive and monitoring workloads, whole namespaces included', () => {
    expect(intent.isSensitive(ref('payments/ledger-db'))).toBe(true)
    expect(intent.isSensitive(ref('payments/ledger'))).toBe(false)
    expect(intent.isSensitive(ref('vault/anything'))).toBe(true)
    expect(intent.isMonitoring(ref('monitoring/prometheus'))).toBe(true)
    expect(intent.isMonitoring(ref('monitoring/grafana'))).toBe(false)
  })

  it('matches known drops on every field they give', () => {
    expect(intent.isKnownDrop(ref('monitoring/blackbox'), ref('shop/cart'), 9999)).toBe(true)
    expect(intent.isKnownDrop(ref('monitoring/blackbox'), ref('shop/cart'), 80)).toBe(false)
    expect(intent.isKnownDrop(ref('monitoring/blackbox'), ref('data/redis'), 9999)).toBe(false)
    expect(intent.isKnownDrop(undefined, ref('shop/cart'), 9999)).toBe(false)
    expect(intent.isKnownDrop(undefined, ref('shop/legacy'))).toBe(true)
  })

  it('knows the declared privileged accounts, by login or whole domain, whatever the case', () => {
    expect(intent.isPrivileged('root.admin@acme.example')).toBe(true)
    expect(intent.isPrivileged('ops@ADMINS.acme.example')).toBe(true)
    expect(intent.isPrivileged('jdoe@acme.example')).toBe(false)
    expect(intent.isPrivileged('ops@notadmins.acme.example.evil')).toBe(false)
  })

  it('maps namespaces to tenants', () => {
    expect(intent.tenantOfNamespace('team-a')).toBe('tenant-a')
    expect(intent.tenantOfNamespace('team-c')).toBeUndefined()
  })

  it('finds the changes whose window covers a time, filtered by workload or policy', () => {
    expect(intent.changesAt(at('2026-01-07T13:29:59Z'))).toEqual([])
    // 14:30+01:00 is 13:30Z: CHG-1043 starts first.
    expect(intent.changesAt(at('2026-01-07T14:00:00Z')).map((change) => change.id)).toEqual([
      'CHG-1043',
      'CHG-1042',
    ])
    const during = at('2026-01-07T14:20:00Z')
    expect(intent.changesAt(during, { workload: ref('shop/checkout') }).map((change) => change.id)).toEqual([
      'CHG-1043',
      'CHG-1042',
    ])
    expect(intent.changesAt(during, { workload: ref('shop/cart') }).map((change) => change.id)).toEqual([
      'CHG-1043',
    ])
    expect(intent.changesAt(during, { policy: 'other-bundle' }).map((change) => change.id)).toEqual([
      'CHG-1043',
    ])
    expect(intent.changesAt(at('2026-01-07T15:00:00.001Z')).map((change) => change.id)).toEqual(['CHG-1043'])
  })

  it('knows edges a change declares, within its window and on its port', () => {
    const during = at('2026-01-07T14:20:00Z')
    const checkout = ref('shop/checkout')
    const ledger = ref('payments/ledger')
    expect(intent.isDeclaredEdge(during, checkout, ledger, 8443)?.id).toBe('CHG-1042')
    expect(intent.isDeclaredEdge(during, checkout, ledger)?.id).toBe('CHG-1042')
    expect(intent.isDeclaredEdge(during, checkout, ledger, 5432)).toBeUndefined()
    expect(intent.isDeclaredEdge(during, ledger, checkout, 8443)).toBeUndefined()
    expect(intent.isDeclaredEdge(at('2026-01-07T16:00:00Z'), checkout, ledger, 8443)).toBeUndefined()
  })

  it('reports typos and bad values, each at its field and line', () => {
    const { problems: found, intent: partial } = intentFromYaml(`
apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata: { name: typos }
spec:
  egres:
    - { host: api.stripe.com }
  corporateEgress:
    cidrs: [203.0.113.0/33]
  changes:
    - id: CHG-1
      from: 2026-01-07T15:00:00Z
      to: 2026-01-07T14:00:00Z
    - id: CHG-2
      from: 2026-01-07T15:00
      to: 2026-01-07T16:00:00Z
`)
    const source = 'test.yaml#1 (PalisadeIntent typos)'
    expect(found).toEqual([
      {
        source,
        level: 'error',
        line: 6,
        message:
          'spec.egres: unknown field (did you mean egress?); known fields: egress, corporateEgress, sensitive, ' +
          'monitoring, knownDrops, namespaceTenants, changes, workloadAliases, privileged',
      },
      {
        source,
        level: 'error',
        line: 9,
        message:
          'spec.corporateEgress.cidrs[0]: expected a CIDR such as 10.0.0.0/8 or 2001:db8::/32, got "203.0.113.0/33"',
      },
      {
        source,
        level: 'error',
        line: 13,
        message:
          'spec.changes[0].to: must be after from (2026-01-07T15:00:00.000Z), got 2026-01-07T14:00:00.000Z',
      },
      {
        source,
        level: 'error',
        line: 15,
        message:
          'spec.changes[1].from: expected an ISO 8601 time such as 2026-01-07T14:00:00Z, got "2026-01-07T15:00" ' +
          '(add Z or an offset)',
      },
    ])
    // A document with errors is not used.
    expect(partial.sources).toEqual([])
  })

  it('requires exactly one of host and cidr in an egress entry', () => {
    const { problems: found } = intentFromYaml(`
apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata: { name: both }
spec:
  egress:
    - { host: api.stripe.com, cidr: 192.0.2.0/24 }
    - { ports: [443] }
`)
    expect(found.map((problem) => problem.message)).toEqual([
      'spec.egress[0]: needs exactly one of host or cidr',
      'spec.egress[1]: needs exactly one of host or cidr',
    ])
  })

  it('rejects a tenant assigned twice across files', () => {
    const second = `
apiVersion: palisade.dev/v1
kind: PalisadeIntent
metadata: { name: second }
spec:
  namespaceTenants:
    team-a: tenant-z
`
    const { problems: found, intent: merged } = intentFromYaml(`${perimeter}---${second}`)
    expect(found).toEqual([
      expect.objectContaining({
        level: 'error',
        message:
          'spec.namespaceTenants.team-a: namespace team-a is already assigned to tenant tenant-a by ' +
          'test.yaml#1 (PalisadeIntent acme-perimeter)',
      }),
    ])
    expect(merged.tenantOfNamespace('team-a')).toBe('tenant-a')
  })
})
