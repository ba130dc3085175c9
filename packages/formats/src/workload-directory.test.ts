import { validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import { hubbleFlowParser } from './flows/hubble-flow.ts'
import { envoyAccessLogParser } from './mesh/envoy-access-log.ts'
import { readSharedFixture, sharedFixturesAvailable } from './testing/shared-fixtures.ts'
import { createWorkloadDirectory } from './workload-directory.ts'

// The productpage pod of the real Hubble sample: 10.244.0.177, bookinfo/productpage-v1-6b746f74dc-9rcxx,
// service account bookinfo-productpage, app productpage (first line of the fixture, 10:40:56Z).
const podIp = '10.244.0.177'

/**
 * An Istio JSON outbound line through the PassthroughCluster from that pod, as the independent
 * scenario's exfiltration writes it (Istio's default keys, no pod environment logged).
 */
function passthroughLine(startTime: string, clientIp = podIp): string {
  return JSON.stringify({
    authority: null,
    bytes_received: 61469698,
    bytes_sent: 5120,
    connection_termination_details: null,
    downstream_local_address: '203.0.113.77:443',
    downstream_remote_address: `${clientIp}:51222`,
    duration: 14200,
    method: null,
    path: null,
    protocol: null,
    request_id: null,
    requested_server_name: 'dl.filedrop-share.example',
    response_code: 0,
    response_code_details: null,
    response_flags: '-',
    route_name: null,
    start_time: startTime,
    upstream_cluster: 'PassthroughCluster',
    upstream_host: '203.0.113.77:443',
    upstream_local_address: `${clientIp}:48812`,
    upstream_service_time: null,
    upstream_transport_failure_reason: null,
    user_agent: null,
    x_forwarded_for: null,
  })
}

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'workload directory > Hubble teaches, Envoy lines are named',
  () => {
    const hubble = () =>
      hubbleFlowParser.parse(
        readSharedFixture('hubble-flow/hubble-otel-basic-sample-400-tcp-flows.first120.json'),
      ).records

    it("names a PassthroughCluster upload's source workload, pod and app from the pod IP Hubble showed", () => {
      const directory = createWorkloadDirectory()
      directory.enrich(hubble())
      const envoy = envoyAccessLogParser.parse(passthroughLine('2021-11-10T10:45:00.000Z')).records
      expect(envoy[0]!.event.src_identity).toBeUndefined()
      expect(directory.enrich(envoy)).toBe(1)
      expect(envoy[0]!.event).toMatchObject({
        src_ip: podIp,
        src_identity: 'bookinfo/bookinfo-productpage',
        src_pod: 'bookinfo/productpage-v1-6b746f74dc-9rcxx',
        src_app: 'productpage',
        dst_host: 'dl.filedrop-share.example',
        bytes_sent: 61469698,
      })
      // The public destination stays an address: nothing taught it.
      expect(envoy[0]!.event.dst_identity).toBeUndefined()
      expect(validateEvent('flow', envoy[0]!.event, { tenant: 't', observedAt: 0 })).toMatchObject({
        ok: true,
      })
    })

    it('joins within one batch, and trusts a pairing only within the age limit of event time', () => {
      const directory = createWorkloadDirectory({ maxAgeMs: 30 * 60_000 })
      const sameBatch = [
        ...hubble(),
        ...envoyAccessLogParser.parse(passthroughLine('2021-11-10T10:41:30.000Z')).records,
      ]
      directory.enrich(sameBatch)
      expect(sameBatch.at(-1)!.event.src_identity).toBe('bookinfo/bookinfo-productpage')
      // Two hours on, the address may belong to another pod: left as an address.
      const later = envoyAccessLogParser.parse(passthroughLine('2021-11-10T12:45:00.000Z')).records
      expect(directory.enrich(later)).toBe(0)
      expect(later[0]!.event.src_identity).toBeUndefined()
    })

    it('learns only, leaving records as sent, when told not to fill', () => {
      const directory = createWorkloadDirectory()
      const records = [
        ...hubble(),
        ...envoyAccessLogParser.parse(passthroughLine('2021-11-10T10:41:30.000Z')).records,
      ]
      expect(directory.enrich(records, { fill: false })).toBe(0)
      expect(records.at(-1)!.event.src_identity).toBeUndefined()
      expect(directory.lookup(podIp, Date.parse('2021-11-10T10:41:30Z'))?.identity).toBe(
        'bookinfo/bookinfo-productpage',
      )
    })
  },
)

describe('workload directory > what it trusts', () => {
  const flow = (event: Record<string, unknown>) => ({ line: 1, raw: '', kind: 'flow' as const, event })

  it('never renames a flow end that names its workload, and learns nothing from reserved identities or ends without a pod', () => {
    const directory = createWorkloadDirectory()
    directory.enrich([
      flow({ ts: 1000, src_ip: '10.0.0.1', src_identity: 'a/one', src_pod: 'a/one-0' }),
      flow({ ts: 1000, dst_ip: '10.0.0.2', dst_identity: 'reserved:host', dst_pod: 'x/y' }),
      flow({ ts: 1000, dst_ip: '10.0.0.3', dst_identity: 'b/svc' }),
    ])
    expect(directory.size).toBe(1)
    const named = flow({ ts: 2000, src_ip: '10.0.0.1', src_identity: 'spiffe://cluster.local/ns/a/sa/x' })
    const bare = flow({ ts: 2000, src_ip: '10.0.0.3', dst_ip: '10.0.0.1' })
    expect(directory.enrich([named, bare])).toBe(1)
    expect(named.event.src_identity).toBe('spiffe://cluster.local/ns/a/sa/x')
    expect(bare.event).toMatchObject({ dst_identity: 'a/one', dst_pod: 'a/one-0' })
    expect(bare.event.src_identity).toBeUndefined()
  })

  it('adds the pod and app label to a flow naming the same workload by its SPIFFE ID (an Envoy inbound peer)', () => {
    const directory = createWorkloadDirectory()
    directory.enrich([
      flow({
        ts: 1000,
        src_ip: '10.42.1.37',
        src_identity: 'payments/ledger-writer',
        src_pod: 'payments/ledger-0',
        src_app: 'ledger',
      }),
    ])
    const peer = flow({
      ts: 2000,
      src_ip: '10.42.1.37',
      src_identity: 'spiffe://cluster.local/ns/payments/sa/ledger-writer',
      dst_ip: '10.42.1.49',
      dst_identity: 'data/postgres',
    })
    const other = flow({ ts: 2000, src_ip: '10.42.1.37', src_identity: 'payments/someone-else' })
    expect(directory.enrich([peer, other])).toBe(1)
    expect(peer.event).toMatchObject({
      src_identity: 'spiffe://cluster.local/ns/payments/sa/ledger-writer',
      src_pod: 'payments/ledger-0',
      src_app: 'ledger',
    })
    expect(other.event.src_app).toBeUndefined()
  })

  it('keeps the newest pairing of a reused address and stays within its size bound', () => {
    const directory = createWorkloadDirectory({ maxAddresses: 2 })
    directory.enrich([flow({ ts: 5000, src_ip: '10.0.0.1', src_identity: 'a/new', src_pod: 'a/new-0' })])
    directory.enrich([flow({ ts: 1000, src_ip: '10.0.0.1', src_identity: 'a/old', src_pod: 'a/old-0' })])
    expect(directory.lookup('10.0.0.1', 5000)?.identity).toBe('a/new')
    directory.enrich([
      flow({ ts: 6000, src_ip: '10.0.0.2', src_identity: 'a/two', src_pod: 'a/two-0' }),
      flow({ ts: 7000, src_ip: '10.0.0.3', src_identity: 'a/three', src_pod: 'a/three-0' }),
    ])
    expect(directory.size).toBe(2)
    expect(directory.lookup('10.0.0.1', 7000)).toBeUndefined()
    expect(directory.lookup('10.0.0.3', 7000)?.identity).toBe('a/three')
  })
})
