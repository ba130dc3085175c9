import { topics } from '@palisade/bus'
import { readSharedFixture, sharedFixturesAvailable } from '@palisade/formats/testing'
import type { FlowEvent } from '@palisade/schema'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type CollectorUnderTest,
  retentionOfAnyDate,
  startCollectorUnderTest,
} from './testing/collector-under-test.ts'

// Issue 15, cause 3, through the collector's routes on a real HTTP server and the in-process bus:
// the real Hubble sample teaches the productpage pod's IP (10.244.0.177); an Istio JSON egress line
// from that address, sent in a later request to another format's route, is published named.

let collector: CollectorUnderTest

function post(format: string, body: string) {
  return fetch(`${collector.url}/v1/ingest/${format}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${collector.token}`, 'content-type': 'application/x-ndjson' },
    body,
  })
}

const passthrough = JSON.stringify({
  authority: null,
  bytes_received: 61469698,
  bytes_sent: 5120,
  downstream_local_address: '203.0.113.77:443',
  downstream_remote_address: '10.244.0.177:51222',
  duration: 14200,
  method: null,
  path: null,
  protocol: null,
  requested_server_name: 'dl.filedrop-share.example',
  response_code: 0,
  response_flags: '-',
  start_time: '2021-11-10T10:45:00.000Z',
  upstream_cluster: 'PassthroughCluster',
  upstream_host: '203.0.113.77:443',
})

beforeAll(async () => {
  collector = await startCollectorUnderTest(1024 * 1024, retentionOfAnyDate)
})
afterAll(() => collector.close())

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'collector > workload join by pod IP',
  () => {
    it('publishes an Envoy egress line with the workload Hubble showed at its source address', async () => {
      const hubble = await post(
        'hubble-flow',
        readSharedFixture('hubble-flow/hubble-otel-basic-sample-400-tcp-flows.first120.json'),
      )
      expect(hubble.status).toBe(200)
      const envoy = await post('istio-access-log', passthrough)
      expect(await envoy.json()).toMatchObject({ accepted: 1, rejected: 0 })
      const flows = (collector.published.get(topics.events('flow')) ?? []) as FlowEvent[]
      const egress = flows.find((flow) => flow.dst_host === 'dl.filedrop-share.example')
      expect(egress).toMatchObject({
        src_ip: '10.244.0.177',
        src_identity: 'bookinfo/bookinfo-productpage',
        src_pod: 'bookinfo/productpage-v1-6b746f74dc-9rcxx',
        src_app: 'productpage',
        dst_ip: '203.0.113.77',
        bytes_sent: 61469698,
      })
    })
  },
)
