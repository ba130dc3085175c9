import { readSharedFixture, sharedFixturesAvailable } from '@palisade/formats/testing'
import { describe, expect, it } from 'vitest'
import { parseStreams } from './detect-in-process.ts'

// The real Hubble sample (hubble-otel's basic sample, 2021-11-10 from 10:40:56Z): its first line
// shows bookinfo/productpage-v1-6b746f74dc-9rcxx at 10.244.0.177 with service account
// bookinfo-productpage and app label productpage.
const hubbleFixture = 'hubble-flow/hubble-otel-basic-sample-400-tcp-flows.first120.json'
const podIp = '10.244.0.177'

/** Istio's default JSON access-log keys, as the independent scenario writes them. */
function envoyLine(fields: Record<string, unknown>): string {
  return JSON.stringify({
    authority: null,
    bytes_received: 0,
    bytes_sent: 0,
    connection_termination_details: null,
    duration: 12,
    method: null,
    path: null,
    protocol: null,
    request_id: null,
    requested_server_name: null,
    response_code: 0,
    response_code_details: null,
    response_flags: '-',
    route_name: null,
    upstream_service_time: null,
    upstream_transport_failure_reason: null,
    user_agent: null,
    x_forwarded_for: null,
    downstream_peer_uri_san: null,
    upstream_peer_uri_san: null,
    ...fields,
  })
}

/** An upload through the PassthroughCluster from the productpage pod: only its address names it. */
const passthrough = (startTime: string) =>
  envoyLine({
    bytes_received: 61_469_698,
    downstream_local_address: '203.0.113.77:443',
    downstream_remote_address: `${podIp}:51222`,
    requested_server_name: 'dl.filedrop-share.example',
    start_time: startTime,
    upstream_cluster: 'PassthroughCluster',
    upstream_host: '203.0.113.77:443',
    upstream_local_address: `${podIp}:48812`,
  })

/** The details server's inbound view of a call from productpage: the client named by its SAN (its service account). */
const inboundFromProductpage = (startTime: string) =>
  envoyLine({
    downstream_local_address: '10.244.0.110:9080',
    downstream_remote_address: `${podIp}:35128`,
    downstream_peer_uri_san: 'spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage',
    requested_server_name: 'outbound_.9080_._.details.bookinfo.svc.cluster.local',
    start_time: startTime,
    upstream_cluster: 'inbound|9080||',
    upstream_host: '10.244.0.110:9080',
    upstream_local_address: '127.0.0.6:42096',
  })

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'parseStreams > joins workloads by pod IP as the collector does (issue 15)',
  () => {
    const hubbleItems = () =>
      readSharedFixture(hubbleFixture)
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((text) => ({ text }))

    it("names an Envoy line's workload from what Hubble showed of the pod, whichever stream is listed first", () => {
      const { events, rejected } = parseStreams({
        tenant: 't1',
        streams: [
          {
            format: 'istio-access-log',
            items: [
              { text: passthrough('2021-11-10T10:45:00.000Z') },
              { text: inboundFromProductpage('2021-11-10T10:45:01.000Z') },
            ],
          },
          { format: 'hubble-flow', items: hubbleItems() },
        ],
      })
      expect(rejected).toBe(0)
      const envoy = events.filter((e) => e.event.source === 'envoy' && e.kind === 'flow').map((e) => e.event)
      expect(envoy).toHaveLength(2)
      // The upload names its workload, pod and app although the line carries only an address.
      expect(envoy[0]).toMatchObject({
        src_ip: podIp,
        src_identity: 'bookinfo/bookinfo-productpage',
        src_pod: 'bookinfo/productpage-v1-6b746f74dc-9rcxx',
        src_app: 'productpage',
      })
      // The SAN-named client keeps its name and gains the app label that NetworkPolicies select on.
      expect(envoy[1]).toMatchObject({
        src_identity: 'spiffe://cluster.local/ns/bookinfo/sa/bookinfo-productpage',
        src_pod: 'bookinfo/productpage-v1-6b746f74dc-9rcxx',
        src_app: 'productpage',
      })
      // Events come out in event-time order across streams.
      const times = events.map((e) => e.event.ts)
      expect(times).toEqual([...times].sort((a, b) => a - b))
    })

    it('does not name a line from a pairing Hubble last showed more than the age limit before', () => {
      const { events } = parseStreams({
        tenant: 't1',
        streams: [
          { format: 'hubble-flow', items: hubbleItems() },
          // Three hours after the sample, with nothing from Hubble since: the directory learned the
          // pairing, but the address may belong to another pod by now.
          { format: 'istio-access-log', items: [{ text: passthrough('2021-11-10T13:40:00.000Z') }] },
        ],
      })
      const upload = events.find((e) => e.event.source === 'envoy' && e.kind === 'flow')!.event
      expect(upload).toMatchObject({ src_ip: podIp })
      expect(upload).not.toHaveProperty('src_identity')
    })
  },
)
