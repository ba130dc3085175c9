// Fixtures (../shared/fixtures/hubble-flow):
// - hubble-otel-basic-sample-*.json: cilium/hubble-otel, testdata/basic-sample-{10-flows,
//   5-http-flows, 400-icmpv4-flows, 400-tcp-flows (first 120 lines), 330-dns-flows (first 120
//   lines)}.json @ 6f5fe85ee34f (Apache-2.0): `hubble observe -o json` captures.
// - cilium-docs-export-fieldmask-dropped.json: cilium/cilium,
//   Documentation/observability/hubble/configuration/export.rst @ 4e656fa4fabc (Apache-2.0).
import { describe, expect, it } from 'vitest'
import { dnsAnswer as answer } from '../testing/hubble-records.ts'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { hubbleFlowParser } from './hubble-flow.ts'
import { expectStableIds } from './testing/expect-stable-ids.ts'
import { expectValidFlows } from './testing/expect-valid-flows.ts'

const parse = hubbleFlowParser.parse

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))('hubble-flow > shared fixtures', () => {
  it.each([
    ['hubble-otel-basic-sample-10-flows.json', 10],
    ['hubble-otel-basic-sample-5-http-flows.json', 5],
    ['hubble-otel-basic-sample-400-icmpv4-flows.json', 18],
    ['hubble-otel-basic-sample-400-tcp-flows.first120.json', 120],
    ['hubble-otel-basic-sample-330-dns-flows.first120.json', 120],
    ['cilium-docs-export-fieldmask-dropped.json', 2],
  ])('reads every flow of %s (%i), each a valid event with its own stable id', (file, count) => {
    const text = readSharedFixture(`hubble-flow/${file}`)
    const result = parse(text)
    expect(result.rejected).toEqual([])
    expect(result.records).toHaveLength(count)
    expectValidFlows(result)
    expectStableIds(hubbleFlowParser, text)
  })

  it('maps a forwarded TCP flow field by field', () => {
    const result = parse(readSharedFixture('hubble-flow/hubble-otel-basic-sample-10-flows.json'))
    expect(result.records[0]!.event).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      ts: Date.parse('2021-06-16T16:52:13.136Z'),
      source: 'hubble-flow',
      // The workload by its service account (Cilium's label), the name Istio's SPIFFE IDs give it;
      // the pod and the app label beside it.
      src_identity: 'bookinfo/bookinfo-reviews',
      src_pod: 'bookinfo/reviews-v1-545db77b95-s6jb8',
      src_app: 'reviews',
      dst_identity: 'reserved:host',
      src_ip: '10.0.2.16',
      dst_ip: '10.0.2.1',
      src_port: 15020,
      dst_port: 42044,
      protocol: 'tcp',
      verdict: 'allowed',
      // The deprecated `reply: true` of older Hubble: the sidecar's health port answering the kubelet.
      is_reply: true,
      server_port: 15020,
    })
  })

  it('reads the two documented drops: a policy denial as denied, an invalid source as dropped', () => {
    const result = parse(readSharedFixture('hubble-flow/cilium-docs-export-fieldmask-dropped.json'))
    expect(result.records[0]!.event).toMatchObject({
      src_ip: 'fe80::64d8:8aff:fe72:fc14',
      dst_ip: 'ff02::2',
      protocol: 'icmp',
      dst_port: 0,
      verdict: 'dropped',
    })
    // Empty source and destination objects (field-masked): no identity.
    expect(result.records[0]!.event.src_identity).toBeUndefined()
    expect(result.records[1]!.event).toMatchObject({
      src_identity: 'default/xwing',
      // The Deployment its pod name encodes (no labels in this field-masked export).
      dst_identity: 'default/deathstar',
      dst_pod: 'default/deathstar-7848d6c4d5-th9v2',
      src_port: 44916,
      dst_port: 80,
      verdict: 'denied',
    })
  })

  it('reads REDIRECTED (to the L7 proxy) as allowed, and ICMP replies with an empty ICMPv4 as port 0', () => {
    const tcp = parse(readSharedFixture('hubble-flow/hubble-otel-basic-sample-400-tcp-flows.first120.json'))
    const redirected = tcp.records.filter((record) => record.raw.includes('"verdict":"REDIRECTED"'))
    expect(redirected).toHaveLength(7)
    expect(redirected.every((record) => record.event.verdict === 'allowed')).toBe(true)
    const icmp = parse(readSharedFixture('hubble-flow/hubble-otel-basic-sample-400-icmpv4-flows.json'))
    expect(icmp.records[1]!.event).toMatchObject({
      protocol: 'icmp',
      dst_port: 0,
      src_identity: 'reserved:health',
      dst_identity: 'reserved:host',
    })
  })
})

describe('hubble-flow > edge cases', () => {
  const flow = (fields: Record<string, unknown> = {}) => ({
    time: '2024-01-01T00:00:00.123456789Z',
    verdict: 'DROPPED',
    IP: { source: '10.0.0.1', destination: '10.0.0.2', ipVersion: 'IPv4' },
    l4: { TCP: { source_port: 40000, destination_port: 8080 } },
    source: { namespace: 'shop', pod_name: 'web-7d9f-abc', workloads: [{ name: 'web', kind: 'Deployment' }] },
    destination: { namespace: 'shop', pod_name: 'db-0', labels: ['k8s:app=db'] },
    ...fields,
  })
  const wrapped = (fields: Record<string, unknown> = {}) =>
    JSON.stringify({ flow: flow(fields), node_name: 'n', time: '2024-01-01T00:00:00.123456789Z' })

  it('gives a wrapped flow and the same flow bare the same id', () => {
    const a = parse(wrapped())
    const b = parse(JSON.stringify(flow()))
    expect(a.records[0]!.event).toEqual(b.records[0]!.event)
  })

  it('takes the flow uuid as the id when there is one', () => {
    const result = parse(wrapped({ uuid: '5f2b5b1e-0000-4000-8000-000000000001' }))
    expect(result.records[0]!.event.event_id).toBe('5f2b5b1e-0000-4000-8000-000000000001')
  })

  it('names a workload namespace/workload, else by the StatefulSet or Deployment its pod name encodes', () => {
    const event = parse(wrapped()).records[0]!.event
    expect(event).toMatchObject({ src_identity: 'shop/web', dst_identity: 'shop/db', dst_pod: 'shop/db-0' })
    const bare = { namespace: 'shop', pod_name: 'cart-7c9d8b6f5d-x2x4k' }
    expect(parse(wrapped({ source: bare })).records[0]!.event.src_identity).toBe('shop/cart')
    // Not a generated name (1 and 0 are not in Kubernetes' suffix alphabet): the pod it is.
    const named = { namespace: 'shop', pod_name: 'cart-1000000-x2x4k' }
    expect(parse(wrapped({ source: named })).records[0]!.event.src_identity).toBe('shop/cart-1000000-x2x4k')
  })

  it('names a workload by its service account, keeping the pod and app label beside it', () => {
    const endpoint = {
      namespace: 'istio-system',
      pod_name: 'istio-ingressgateway-7d8f9c6b5-x2x4k',
      workloads: [{ name: 'istio-ingressgateway', kind: 'Deployment' }],
      labels: [
        'k8s:app=istio-ingressgateway',
        'k8s:io.cilium.k8s.policy.serviceaccount=istio-ingressgateway-service-account',
        'k8s:io.kubernetes.pod.namespace=istio-system',
      ],
    }
    const event = parse(wrapped({ source: endpoint })).records[0]!.event
    // Istio's SAN for it is spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account.
    expect(event).toMatchObject({
      src_identity: 'istio-system/istio-ingressgateway-service-account',
      src_pod: 'istio-system/istio-ingressgateway-7d8f9c6b5-x2x4k',
      src_app: 'istio-ingressgateway',
    })
  })

  it("passes over a namespace's shared default service account, which names no one workload", () => {
    const source = {
      namespace: 'shop',
      labels: ['k8s:io.cilium.k8s.policy.serviceaccount=default'],
      pod_name: 'web-1',
      workloads: [{ name: 'web' }],
    }
    expect(parse(wrapped({ source })).records[0]!.event.src_identity).toBe('shop/web')
  })

  it('reads a mutually authenticated (SPIRE) and transparently encrypted flow as such', () => {
    const event = parse(
      wrapped({ auth_type: 'SPIRE', IP: { source: '10.0.0.1', destination: '10.0.0.2', encrypted: true } }),
    ).records[0]!.event
    expect(event).toMatchObject({ mtls: 'mutual', encrypted: true })
    const plain = parse(wrapped({ auth_type: 'DISABLED' })).records[0]!.event
    expect(plain.mtls).toBeUndefined()
    expect(plain.encrypted).toBeUndefined()
  })

  it.each([
    ['POLICY_DENIED', 'denied'],
    ['POLICY_DENY', 'denied'],
    ['AUTH_REQUIRED', 'denied'],
    ['CT_MAP_INSERTION_FAILED', 'dropped'],
  ])('reads a %s drop as %s', (reason, verdict) => {
    const result = parse(wrapped({ drop_reason_desc: reason }))
    expect(result.records[0]!.event.verdict).toBe(verdict)
    expectValidFlows(result)
  })

  it('reads a drop reason given only as its number', () => {
    expect(parse(wrapped({ drop_reason: 181 })).records[0]!.event.verdict).toBe('denied')
    expect(parse(wrapped({ drop_reason: 132 })).records[0]!.event.verdict).toBe('dropped')
  })

  it.each([
    ['FORWARDED', 'allowed'],
    ['AUDIT', 'allowed'],
    ['TRACED', 'allowed'],
    ['TRANSLATED', 'allowed'],
    ['ERROR', 'error'],
  ])('reads verdict %s as %s', (hubbleVerdict, verdict) => {
    expect(parse(wrapped({ verdict: hubbleVerdict })).records[0]!.event.verdict).toBe(verdict)
  })

  it('reads UDP and SCTP ports, and a port proto3 JSON left out as 0', () => {
    expect(
      parse(wrapped({ l4: { UDP: { source_port: 53000, destination_port: 53 } } })).records[0]!.event,
    ).toMatchObject({
      protocol: 'udp',
      dst_port: 53,
    })
    expect(parse(wrapped({ l4: { SCTP: { destination_port: 3868 } } })).records[0]!.event).toMatchObject({
      protocol: 'other',
      src_port: 0,
      dst_port: 3868,
    })
  })

  it('takes the destination service as the service', () => {
    const event = parse(wrapped({ destination_service: { name: 'db', namespace: 'shop' } })).records[0]!.event
    expect(event.service).toBe('db')
  })

  it('rejects what is not an IP flow, and the other responses of hubble observe', () => {
    const lines = [
      wrapped(),
      JSON.stringify({ lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: 12 }, time: 'x' }),
      wrapped({ IP: undefined }),
      wrapped({ l4: undefined }),
      wrapped({ verdict: 'VERDICT_UNKNOWN' }),
      wrapped({ time: 'yesterday' }),
      wrapped({ IP: { source: '10.0.0.1', destination: 'db' } }),
      'not json',
    ]
    const result = parse(lines.join('\n'))
    expect(result.records.map((record) => record.line)).toEqual([1])
    expect(result.rejected.map(({ line, reason }) => [line, reason])).toEqual([
      [2, 'not a flow: a lost_events response'],
      [3, 'IP: absent: not an IP flow (no addresses)'],
      [4, 'l4: no TCP, UDP, SCTP or ICMP layer: a flow needs a destination port'],
      [5, 'verdict: absent or not a Hubble verdict (FORWARDED, DROPPED, ERROR, ...)'],
      [6, 'flow.time: not an RFC 3339 time with a zone'],
      [7, 'IP.destination: not an IP address'],
      [8, expect.stringMatching(/^not valid JSON/)],
    ])
  })

  it('makes nothing of an empty input', () => {
    expect(parse('')).toEqual({ records: [], rejected: [] })
  })
})

// Issue 15, cause 1: a SYN-ACK or a DNS answer (`is_reply: true`) read as the server reaching the
// client on its ephemeral port paged 14,797 times ("kube-system/coredns reached payments/ledger:59057").
describe('hubble-flow > the side of the connection a flow shows', () => {
  const dnsAnswer = answer(Date.parse('2026-11-30T09:14:03.512Z'), 59057)

  it('reads a DNS answer (is_reply) as the reply of the connection ledger opened to coredns:53', () => {
    const event = parse(JSON.stringify({ flow: dnsAnswer })).records[0]!.event
    expect(event).toMatchObject({
      src_identity: 'kube-system/coredns',
      dst_identity: 'payments/ledger',
      dst_port: 59057,
      is_reply: true,
      server_port: 53,
    })
  })

  it('reads a SYN-ACK trace at TO_ENDPOINT (is_reply) as a reply, its server port the source port', () => {
    const synAck = {
      ...dnsAnswer,
      l4: { TCP: { source_port: 5432, destination_port: 41822, flags: { SYN: true, ACK: true } } },
      Type: 'L3_L4',
      l7: undefined,
      event_type: { type: 4 },
      trace_observation_point: 'TO_ENDPOINT',
    }
    expect(parse(JSON.stringify({ flow: synAck })).records[0]!.event).toMatchObject({
      is_reply: true,
      server_port: 5432,
    })
  })

  it('believes is_reply: false even where the ports look the other way round', () => {
    const odd = { ...dnsAnswer, is_reply: false, l4: { TCP: { source_port: 8080, destination_port: 40000 } } }
    expect(parse(JSON.stringify({ flow: odd })).records[0]!.event).toMatchObject({
      is_reply: false,
      server_port: 40000,
    })
  })

  it('reads the deprecated reply field when is_reply is absent', () => {
    const { is_reply: _, ...old } = dnsAnswer
    expect(old.reply).toBe(true)
    expect(parse(JSON.stringify({ flow: old })).records[0]!.event).toMatchObject({
      is_reply: true,
      server_port: 53,
    })
  })

  it('decides by the ports when the flow does not say (a TO_OVERLAY trace)', () => {
    const { is_reply: _, reply: __, ...unsaid } = dnsAnswer
    expect(parse(JSON.stringify({ flow: unsaid })).records[0]!.event).toMatchObject({
      is_reply: true,
      server_port: 53,
    })
  })

  it.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
    'marks every is_reply line of the real TCP capture a reply, its server the source port',
    () => {
      const text = readSharedFixture('hubble-flow/hubble-otel-basic-sample-400-tcp-flows.first120.json')
      const lines = text.split('\n').filter((line) => line.trim() !== '')
      const said = lines.map((line) => (JSON.parse(line) as { flow: { is_reply?: boolean } }).flow.is_reply)
      expect(said.filter((value) => value !== undefined)).toHaveLength(109)
      const events = parse(text).records.map((record) => record.event)
      expect(events).toHaveLength(120)
      events.forEach((event, index) => {
        if (said[index] === undefined) return
        expect(event.is_reply).toBe(said[index])
        expect(event.server_port).toBe(said[index] ? event.src_port : event.dst_port)
      })
      expect(events.filter((event) => event.is_reply === true)).toHaveLength(43)
      // Every connection's server is bookinfo's 9080, a health or Hubble port: never an ephemeral one.
      expect(new Set(events.map((event) => event.server_port))).toEqual(new Set([9080, 4240, 4244]))
    },
  )
})
