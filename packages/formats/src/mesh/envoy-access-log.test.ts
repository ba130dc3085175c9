import { deriveEventId, validateEvent } from '@palisade/schema'
import { describe, expect, it } from 'vitest'
import type { ParseResult } from '../format-parser.ts'
import { readSharedFixture, sharedFixturesAvailable } from '../testing/shared-fixtures.ts'
import { envoyAccessLogParser, istioAccessLogParser } from './envoy-access-log.ts'

const context = { tenant: 't', observedAt: 0 }

/** Every event of a result, run through the schema: all must be valid. */
function expectAllValid(result: ParseResult): void {
  for (const record of result.records) {
    const validated = validateEvent(record.kind, structuredClone(record.event), context)
    expect(validated, `line ${record.line} ${record.kind}`).toMatchObject({ ok: true })
  }
}

const flowId = (record: unknown) => deriveEventId('envoy-access-log/flow', record)
const decisionId = (record: unknown, suffix = 'decision') =>
  deriveEventId(`envoy-access-log/${suffix}`, record)

/** An Istio >= 1.9 default TEXT line, with the fields a test cares about overridable. */
function istioLine(overrides: Partial<Record<string, string>> = {}): string {
  const f = {
    start: '2024-05-01T10:00:00.000Z',
    request: 'GET /admin HTTP/1.1',
    code: '200',
    flags: '-',
    details: 'via_upstream',
    termination: '-',
    requestId: 'req-1',
    authority: 'httpbin:8000',
    upstreamHost: '10.0.0.5:8000',
    cluster: 'inbound|8000||',
    downstreamLocal: '10.0.0.5:8000',
    downstreamRemote: '10.0.0.9:40000',
    sni: 'outbound_.8000_._.httpbin.foo.svc.cluster.local',
    ...overrides,
  }
  return `[${f.start}] "${f.request}" ${f.code} ${f.flags} ${f.details} ${f.termination} "-" 0 19 3 - "-" "curl/8.0" "${f.requestId}" "${f.authority}" "${f.upstreamHost}" ${f.cluster} - ${f.downstreamLocal} ${f.downstreamRemote} ${f.sni} default`
}

/** An Istio JSON-encoded record, with overrides merged in. */
function jsonRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    start_time: '2024-05-01T10:00:00.000Z',
    method: 'GET',
    path: '/headers',
    protocol: 'HTTP/1.1',
    response_code: 200,
    response_flags: '-',
    response_code_details: 'via_upstream',
    connection_termination_details: null,
    bytes_received: 0,
    bytes_sent: 120,
    duration: 4,
    request_id: 'req-2',
    authority: 'httpbin:8000',
    upstream_host: '10.0.0.5:8000',
    upstream_cluster: 'inbound|8000||',
    downstream_local_address: '10.0.0.5:8000',
    downstream_remote_address: '10.0.0.9:40001',
    requested_server_name: 'outbound_.8000_._.httpbin.foo.svc.cluster.local',
    ...overrides,
  }
}

const fixtures = [
  ['elastic-test-access-logs.log', 8],
  ['elastic-test-access-json-logs.log', 3],
  ['elastic-test-access-failed.log', 8],
  ['elastic-test-access_container_logs.log', 15],
] as const

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'envoy-access-log > shared fixtures',
  () => {
    // All four files: elastic/integrations packages/istio/data_stream/access_logs/_dev/test/pipeline/
    // (commits in ../shared/fixtures/README.md: 0c1b6e1872d1, 01557c96fa08, 8eb46be00031, dec7e2dbd29a).
    const parse = (file: string) => envoyAccessLogParser.parse(readSharedFixture(`istio-access-log/${file}`))

    it.each(fixtures)('reads every record of %s as one valid flow and nothing else', (file, count) => {
      const result = parse(file)
      expect(result.rejected).toEqual([])
      expect(result.records).toHaveLength(count)
      expect(result.records.every((record) => record.kind === 'flow')).toBe(true)
      expectAllValid(result)
    })

    it.each(fixtures)('gives %s the same distinct ids on every parse', (file) => {
      const ids = parse(file).records.map((record) => record.event.event_id)
      expect(parse(file).records.map((record) => record.event.event_id)).toEqual(ids)
      expect(new Set(ids).size).toBe(ids.length)
    })

    it('maps an inbound TEXT row: caller to workload, service from the mTLS SNI', () => {
      const text = readSharedFixture('istio-access-log/elastic-test-access-logs.log')
      const line = text.split('\n')[0]!
      expect(line).toContain('outbound_.9080_._.details.default.svc.cluster.local')
      expect(parse('elastic-test-access-logs.log').records[0]).toEqual({
        line: 1,
        raw: line,
        kind: 'flow',
        event: {
          event_id: flowId(line),
          ts: Date.parse('2022-07-20T09:52:24.955Z'),
          source: 'envoy',
          service: 'details.default.svc.cluster.local',
          // The inbound sidecar runs in a pod behind the Service the mTLS SNI names.
          dst_identity: 'default/details',
          src_ip: '10.68.1.7',
          src_port: 39696,
          dst_ip: '10.68.2.10',
          dst_port: 9080,
          protocol: 'tcp',
          verdict: 'allowed',
          bytes_sent: 0,
          bytes_received: 178,
          duration_ms: 2,
          is_reply: false,
          server_port: 9080,
          // Inbound, with Istio's mTLS SNI: only a sidecar's mTLS client sets it.
          mtls: 'mutual',
        },
      })
    })

    it('maps an outbound TEXT row to the endpoint reached, service from the outbound cluster', () => {
      const record = parse('elastic-test-access-logs.log').records[3]!
      expect(record.raw).toContain('outbound|9080||reviews.default.svc.cluster.local')
      expect(record.event).toMatchObject({
        ts: Date.parse('2022-08-22T13:08:23.188Z'),
        service: 'reviews.default.svc.cluster.local',
        src_ip: '10.124.2.6',
        src_port: 52930,
        dst_ip: '10.124.1.5',
        dst_port: 9080,
        bytes_received: 442,
        duration_ms: 12,
      })
    })

    it('reads the IPv6 [addr]:port addresses of the last TEXT row', () => {
      const record = parse('elastic-test-access-logs.log').records[7]!
      expect(record.line).toBe(8)
      expect(record.event).toMatchObject({
        src_ip: '2a02:cf40::4e36',
        src_port: 5000,
        dst_ip: '2a02:cf40::7',
        dst_port: 3000,
        service: 'ratings.default.svc.cluster.local',
      })
    })

    it('keeps the failed requests (UH, NR, DPE, UF, DC) as allowed flows with no decision', () => {
      const result = parse('elastic-test-access-failed.log')
      const flags = result.records.map((record) => record.raw.split(' ')[5])
      expect(flags).toEqual(['UH', '-', 'NR', 'NR', 'DPE', 'UH', 'UF', 'DC'])
      expect(result.records.every((record) => record.event.verdict === 'allowed')).toBe(true)
      // UH: no upstream host reached, so the flow ends at the address the client called.
      expect(result.records[0]!.event).toMatchObject({
        service: 'httpbin.default.svc.cluster.local',
        src_ip: '172.17.0.6',
        src_port: 44690,
        dst_ip: '10.99.37.119',
        dst_port: 8000,
        bytes_received: 19,
      })
      // NR at the gateway: no route, no cluster; the authority is all that names the service.
      expect(result.records[2]!.event).toMatchObject({
        service: '35.232.196.88',
        dst_ip: '10.124.2.10',
        dst_port: 8080,
      })
      // DPE: "- - HTTP/1.1", no authority, nothing names the service.
      expect(result.records[4]!.event).not.toHaveProperty('service')
      expect(result.records[4]!.event).toMatchObject({
        src_ip: '10.128.0.60',
        src_port: 51643,
        duration_ms: 46,
      })
      // UF with braces in the details.
      expect(result.records[6]!.raw).toContain('upstream_reset_before_response_started{connection_failure')
      expect(result.records[6]!.event).toMatchObject({
        service: 'reviews.default.svc.cluster.local',
        dst_port: 9080,
      })
      // DC with response code 0: the client left after 746 ms.
      expect(result.records[7]!.raw).toContain('" 0 DC downstream_remote_disconnect')
      expect(result.records[7]!.event).toMatchObject({
        src_ip: '10.128.0.60',
        src_port: 0,
        dst_ip: '10.124.1.6',
        duration_ms: 746,
        service: 'productpage.default.svc.cluster.local',
      })
    })

    it('reads JSON records with nulls, "-" and string numbers', () => {
      const result = parse('elastic-test-access-json-logs.log')
      const raw = readSharedFixture('istio-access-log/elastic-test-access-json-logs.log').split('\n')
      expect(result.records[0]!.event).toEqual({
        event_id: flowId(JSON.parse(raw[0]!)),
        ts: Date.parse('2022-09-08T12:51:05.656Z'),
        source: 'envoy',
        service: 'reviews.default.svc.cluster.local',
        dst_identity: 'default/reviews',
        src_ip: '10.124.0.13',
        src_port: 43612,
        dst_ip: '10.124.1.5',
        dst_port: 9080,
        protocol: 'tcp',
        verdict: 'allowed',
        bytes_sent: 0,
        bytes_received: 358,
        duration_ms: 15,
        is_reply: false,
        server_port: 9080,
        mtls: 'mutual',
      })
      expect(result.records[1]!.event).toMatchObject({ src_ip: '2a02:cf40::4e36', src_port: 5000 })
      // The DPE codec error: method and path "-", upstream null, so the flow ends at the listener.
      expect(result.records[2]!.event).toMatchObject({
        ts: Date.parse('2022-09-01T09:36:33.553Z'),
        dst_ip: '10.124.2.10',
        dst_port: 8080,
        bytes_received: 11,
      })
      expect(result.records[2]!.event).not.toHaveProperty('service')
    })

    it('unwraps CRI container-log lines: the time is Envoy, the id that of the bare line', () => {
      const text = readSharedFixture('istio-access-log/elastic-test-access_container_logs.log')
      const first = text.split('\n')[0]!
      const inner = first.slice(first.indexOf('[2022'))
      const record = parse('elastic-test-access_container_logs.log').records[0]!
      expect(record.raw).toBe(first)
      expect(record.event).toMatchObject({
        event_id: flowId(inner),
        ts: Date.parse('2022-07-22T12:24:09.217Z'),
        src_ip: '10.24.0.11',
        src_port: 49888,
        dst_ip: '10.24.0.10',
        dst_port: 9080,
        duration_ms: 3106,
      })
      expect(envoyAccessLogParser.parse(inner).records[0]!.event.event_id).toBe(record.event.event_id)
    })
  },
)

describe('envoy-access-log > authorization decisions', () => {
  it('turns an RBAC deny into a deny decision with its Istio policy, and a denied flow', () => {
    const line = istioLine({
      code: '403',
      details: 'rbac_access_denied_matched_policy[ns[foo]-policy[deny-admin]-rule[0]]',
      upstreamHost: '-',
    })
    const result = envoyAccessLogParser.parse(line)
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => record.kind)).toEqual(['flow', 'decision'])
    expect(result.records[0]!.event).toMatchObject({ verdict: 'denied', dst_ip: '10.0.0.5', dst_port: 8000 })
    expect(result.records[1]!.event).toEqual({
      event_id: decisionId(line),
      ts: Date.parse('2024-05-01T10:00:00.000Z'),
      source: 'envoy',
      service: 'httpbin.foo.svc.cluster.local',
      request_id: 'req-1',
      pdp: 'istio_rbac',
      action: 'GET',
      resource: '/admin',
      decision: 'deny',
      policy_id: 'ns[foo]-policy[deny-admin]-rule[0]',
      dry_run: false,
    })
    expect(result.records[0]!.event.event_id).not.toBe(result.records[1]!.event.event_id)
    expectAllValid(result)
  })

  it('keeps `none` as the policy when no ALLOW policy matched', () => {
    const result = envoyAccessLogParser.parse(
      istioLine({ code: '403', details: 'rbac_access_denied_matched_policy[none]' }),
    )
    expect(result.records[1]!.event).toMatchObject({ decision: 'deny', policy_id: 'none', pdp: 'envoy_rbac' })
  })

  it('reads a network RBAC deny from the connection termination details of a TCP record', () => {
    const line = istioLine({
      request: '- - -',
      code: '0',
      details: '-',
      termination: 'rbac_access_denied_matched_policy[ns[db]-policy[only-app]-rule[0]]',
      requestId: '-',
      authority: '-',
      upstreamHost: '-',
      cluster: 'inbound|5432||',
      downstreamLocal: '10.0.0.7:5432',
      sni: 'outbound_.5432_._.postgres.db.svc.cluster.local',
    })
    const result = envoyAccessLogParser.parse(line)
    expect(result.records[1]!.event).toEqual({
      event_id: decisionId(line),
      ts: Date.parse('2024-05-01T10:00:00.000Z'),
      source: 'envoy',
      service: 'postgres.db.svc.cluster.local',
      pdp: 'istio_rbac',
      decision: 'deny',
      policy_id: 'ns[db]-policy[only-app]-rule[0]',
      dry_run: false,
    })
    expect(result.records[0]!.event).toMatchObject({ verdict: 'denied', dst_port: 5432 })
    expectAllValid(result)
  })

  it('turns UAEX with ext_authz_denied into an ext_authz deny', () => {
    const result = envoyAccessLogParser.parse(
      istioLine({ code: '403', flags: 'UAEX', details: 'ext_authz_denied' }),
    )
    expect(result.records[1]!.event).toMatchObject({
      pdp: 'envoy_ext_authz',
      decision: 'deny',
      dry_run: false,
    })
    expect(result.records[0]!.event).toMatchObject({ verdict: 'denied' })
    expectAllValid(result)
  })

  it('turns ext_authz_error into an error decision, not a deny', () => {
    const result = envoyAccessLogParser.parse(
      istioLine({ code: '403', flags: 'UAEX', details: 'ext_authz_error' }),
    )
    expect(result.records[1]!.event).toMatchObject({ pdp: 'envoy_ext_authz', decision: 'error' })
    expect(result.records[0]!.event).toMatchObject({ verdict: 'error' })
    expectAllValid(result)
  })

  it("reads UAEX alone as a deny in Envoy's default format, with no flow when nothing was reached", () => {
    const line =
      '[2024-05-01T10:00:00.000Z] "POST /pay HTTP/2" 403 UAEX 0 0 2 - "-" "grpc-go/1.60" "req-9" "payments:8443" "-"'
    const result = envoyAccessLogParser.parse(line)
    expect(result.rejected).toEqual([])
    expect(result.records).toHaveLength(1)
    expect(result.records[0]!.event).toEqual({
      event_id: decisionId(line),
      ts: Date.parse('2024-05-01T10:00:00.000Z'),
      source: 'envoy',
      service: 'payments',
      request_id: 'req-9',
      pdp: 'envoy_ext_authz',
      action: 'POST',
      resource: '/pay',
      decision: 'deny',
      dry_run: false,
    })
    expectAllValid(result)
  })

  it('produces no decision for a request no authorization filter decided', () => {
    const result = envoyAccessLogParser.parse(istioLine())
    expect(result.records.map((record) => record.kind)).toEqual(['flow'])
  })

  it('turns Istio dry-run metadata into a dry-run decision beside the allowed flow', () => {
    const record = jsonRecord({
      dynamic_metadata: {
        'envoy.filters.http.rbac': {
          istio_dry_run_allow_shadow_engine_result: 'denied',
          istio_dry_run_allow_shadow_effective_policy_id: 'ns[foo]-policy[allow-get]-rule[0]',
        },
      },
    })
    const result = envoyAccessLogParser.parse(JSON.stringify(record))
    expect(result.records.map((r) => r.kind)).toEqual(['flow', 'decision'])
    expect(result.records[0]!.event).toMatchObject({ verdict: 'allowed' })
    expect(result.records[1]!.event).toEqual({
      event_id: decisionId(record, 'decision/istio_dry_run_allow_shadow'),
      ts: Date.parse('2024-05-01T10:00:00.000Z'),
      source: 'envoy',
      service: 'httpbin.foo.svc.cluster.local',
      request_id: 'req-2',
      pdp: 'istio_rbac',
      action: 'GET',
      resource: '/headers',
      decision: 'deny',
      policy_id: 'ns[foo]-policy[allow-get]-rule[0]',
      dry_run: true,
    })
    expectAllValid(result)
  })

  it('reads Envoy shadow and enforced RBAC results logged under top-level keys', () => {
    const record = jsonRecord({
      shadow_engine_result: 'allowed',
      shadow_effective_policy_id: 'canary-readers',
      enforced_engine_result: 'allowed',
      enforced_effective_policy_id: 'readers',
    })
    const result = envoyAccessLogParser.parse(JSON.stringify(record))
    const decisions = result.records.filter((r) => r.kind === 'decision').map((r) => r.event)
    expect(decisions).toEqual([
      expect.objectContaining({ pdp: 'envoy_rbac', decision: 'allow', policy_id: 'readers', dry_run: false }),
      expect.objectContaining({
        pdp: 'envoy_rbac',
        decision: 'allow',
        policy_id: 'canary-readers',
        dry_run: true,
      }),
    ])
    expect(new Set(result.records.map((r) => r.event.event_id)).size).toBe(3)
    expectAllValid(result)
  })

  it('does not count an RBAC deny twice when the enforced metadata repeats it', () => {
    const record = jsonRecord({
      response_code: 403,
      response_code_details: 'rbac_access_denied_matched_policy[ns[foo]-policy[x]-rule[0]]',
      rbac: { enforced_engine_result: 'denied', enforced_effective_policy_id: 'ns[foo]-policy[x]-rule[0]' },
    })
    const result = envoyAccessLogParser.parse(JSON.stringify(record))
    expect(result.records.filter((r) => r.kind === 'decision')).toHaveLength(1)
  })

  it('rejects an RBAC engine result it cannot read', () => {
    const result = envoyAccessLogParser.parse(JSON.stringify(jsonRecord({ shadow_engine_result: 'maybe' })))
    expect(result.rejected[0]!.reason).toContain('shadow_engine_result "maybe"')
  })
})

describe('envoy-access-log > identities', () => {
  it('takes the peer URI SANs as the flow and decision identities', () => {
    const record = jsonRecord({
      response_code: 403,
      response_code_details: 'rbac_access_denied_matched_policy[ns[default]-policy[p]-rule[0]]',
      downstream_peer_uri_san: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
      downstream_local_uri_san: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews',
    })
    const result = envoyAccessLogParser.parse(JSON.stringify(record))
    for (const parsed of result.records) {
      expect(parsed.event).toMatchObject({
        src_identity: 'spiffe://cluster.local/ns/default/sa/bookinfo-productpage',
        dst_identity: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews',
      })
    }
    expect(result.records[1]!.event.subject).toBe('spiffe://cluster.local/ns/default/sa/bookinfo-productpage')
    expectAllValid(result)
  })

  it('uses the upstream SANs on the outbound side', () => {
    const record = jsonRecord({
      upstream_local_uri_san: 'spiffe://cluster.local/ns/a/sa/client',
      upstream_peer_uri_san: 'spiffe://cluster.local/ns/b/sa/server',
    })
    expect(envoyAccessLogParser.parse(JSON.stringify(record)).records[0]!.event).toMatchObject({
      src_identity: 'spiffe://cluster.local/ns/a/sa/client',
      dst_identity: 'spiffe://cluster.local/ns/b/sa/server',
    })
  })

  it('rejects a record whose peer SAN is an invalid SPIFFE ID, naming it', () => {
    const raw = JSON.stringify(
      jsonRecord({ downstream_peer_uri_san: 'spiffe://Cluster.Local/ns/default/sa/x' }),
    )
    const result = envoyAccessLogParser.parse(raw)
    expect(result.records).toEqual([])
    expect(result.rejected).toEqual([
      {
        line: 1,
        raw,
        reason: expect.stringMatching(
          /^downstream_peer_uri_san: invalid SPIFFE ID "spiffe:\/\/Cluster\.Local.*lowercase/,
        ),
      },
    ])
  })
})

describe('envoy-access-log > input shapes', () => {
  it('rejects lines it cannot read and keeps the others', () => {
    const input = [istioLine(), 'hello', `${istioLine()} extra`, '{"start_time":', '{"method":"GET"}'].join(
      '\n',
    )
    const result = envoyAccessLogParser.parse(input)
    expect(result.records.map((record) => record.line)).toEqual([1])
    expect(result.rejected.map((record) => [record.line, record.reason])).toEqual([
      [2, expect.stringContaining('not an Envoy access log line')],
      [3, expect.stringContaining('23 fields in a layout that is not')],
      [4, expect.stringContaining('not valid JSON')],
      [5, 'no start_time'],
    ])
  })

  it('reads an Istio 1.3-1.8 default line', () => {
    const line =
      '[2020-03-01T10:00:00.000Z] "GET /ratings/0 HTTP/1.1" 200 - "-" "-" 0 48 2 1 "-" "curl/7.68.0" "r-1" "ratings:9080" "10.1.0.5:9080" inbound|9080|http|ratings.default.svc.cluster.local 127.0.0.1:40000 10.1.0.5:9080 10.1.0.7:50000 outbound_.9080_._.ratings.default.svc.cluster.local default'
    const result = envoyAccessLogParser.parse(line)
    expect(result.records[0]!.event).toMatchObject({
      service: 'ratings.default.svc.cluster.local',
      src_ip: '10.1.0.7',
      dst_ip: '10.1.0.5',
      bytes_received: 48,
    })
  })

  it('reads a JSON array body, Docker json-file lines and CRI partial lines', () => {
    const line = istioLine()
    const array = envoyAccessLogParser.parse(
      JSON.stringify([jsonRecord(), jsonRecord({ request_id: 'r-3' })]),
    )
    expect(array.records.map((record) => record.line)).toEqual([1, 2])
    const docker = envoyAccessLogParser.parse(
      JSON.stringify({ log: `${line}\n`, stream: 'stdout', time: 'x' }),
    )
    expect(docker.records[0]!.event.event_id).toBe(flowId(line))
    const cri = [
      `2024-05-01T10:00:00.1Z stdout P ${line.slice(0, 40)}`,
      `2024-05-01T10:00:00.2Z stdout F ${line.slice(40)}`,
      `2024-05-01T10:00:00.3Z stdout P ${line.slice(0, 10)}`,
    ].join('\n')
    const joined = envoyAccessLogParser.parse(cri)
    expect(joined.records.map((record) => [record.line, record.event.event_id])).toEqual([[1, flowId(line)]])
    expect(joined.rejected).toEqual([
      { line: 3, raw: expect.any(String), reason: expect.stringContaining('never completed') },
    ])
  })

  it('lets options.service name the service', () => {
    const result = envoyAccessLogParser.parse(istioLine(), { service: 'checkout' })
    expect(result.records[0]!.event.service).toBe('checkout')
  })

  it('splits a large TEXT log on line boundaries with the first line number of each part', () => {
    const input = [istioLine(), istioLine({ requestId: 'b' }), istioLine({ requestId: 'c' })].join('\n')
    const parts = envoyAccessLogParser.splitInput!(input, 400)
    expect(parts.map((part) => part.firstLine)).toEqual([1, 2, 3])
    expect(parts.map((part) => part.text).join('')).toBe(input)
  })

  it('answers under the istio-access-log name with the same mapping', () => {
    expect(istioAccessLogParser.name).toBe('istio-access-log')
    expect(istioAccessLogParser.parse(istioLine())).toEqual(envoyAccessLogParser.parse(istioLine()))
  })
})

// Issue 15, cause 2: a sidecar-less pod sent plaintext into STRICT namespaces and no access log said
// so. Istio's Telemetry API log adds connection_security_policy, the peer SAN and the pod's own
// name, namespace and service account (%ENVIRONMENT(...)%) to the default JSON keys.
describe('envoy-access-log > mutual TLS and the logging pod', () => {
  const inbound = {
    start_time: '2026-11-30T14:02:11.480Z',
    method: null,
    path: null,
    protocol: null,
    response_code: 0,
    response_flags: '-',
    response_code_details: null,
    bytes_received: 5210,
    bytes_sent: 48133,
    duration: 912,
    authority: null,
    upstream_host: '10.244.2.31:5432',
    upstream_cluster: 'inbound|5432||',
    downstream_local_address: '10.244.2.31:5432',
    downstream_remote_address: '10.244.7.12:51544',
    requested_server_name: null,
    connection_security_policy: 'none',
    downstream_peer_uri_san: null,
    pod_name: 'postgres-0',
    pod_namespace: 'data',
  }
  const event = (record: Record<string, unknown>) =>
    envoyAccessLogParser.parse(JSON.stringify(record)).records[0]!.event

  it('reads a plaintext TCP connection into an inbound sidecar: no policy, no peer SAN, no SNI', () => {
    expect(event(inbound)).toMatchObject({
      src_ip: '10.244.7.12',
      dst_ip: '10.244.2.31',
      dst_port: 5432,
      server_port: 5432,
      is_reply: false,
      mtls: 'plaintext',
      // The inbound proxy runs in the server's pod: the StatefulSet its pod name encodes.
      dst_identity: 'data/postgres',
      dst_pod: 'data/postgres-0',
    })
    expect(event(inbound).src_identity).toBeUndefined()
  })

  it('reads plaintext from the missing peer SAN and SNI alone when the policy is not logged', () => {
    const { connection_security_policy: _, ...withoutPolicy } = inbound
    expect(event(withoutPolicy).mtls).toBe('plaintext')
  })

  it('reads mutual TLS from the policy, the peer SAN or Istio mTLS SNI', () => {
    expect(event({ ...inbound, connection_security_policy: 'mutual_tls' }).mtls).toBe('mutual')
    const { connection_security_policy: _, ...withoutPolicy } = inbound
    expect(
      event({ ...withoutPolicy, downstream_peer_uri_san: 'spiffe://cluster.local/ns/api/sa/orders' }),
    ).toMatchObject({ mtls: 'mutual', src_identity: 'spiffe://cluster.local/ns/api/sa/orders' })
    expect(
      event({ ...withoutPolicy, requested_server_name: 'outbound_.5432_._.postgres.data.svc.cluster.local' })
        .mtls,
    ).toBe('mutual')
  })

  it('says nothing of mTLS for an outbound record (the app talking to its own sidecar), naming the pod as the client', () => {
    const outbound = {
      ...inbound,
      connection_security_policy: undefined,
      upstream_cluster: 'outbound|5432||postgres.data.svc.cluster.local',
      pod_name: 'orders-7c9d8b6f5d-x2x4k',
      pod_namespace: 'api',
      service_account: 'orders-sa',
    }
    const flow = event(outbound)
    expect(flow.mtls).toBeUndefined()
    expect(flow).toMatchObject({ src_identity: 'api/orders-sa', src_pod: 'api/orders-7c9d8b6f5d-x2x4k' })
  })

  it('names the Deployment a pod name encodes when no service account is logged', () => {
    const outbound = {
      ...inbound,
      upstream_cluster: 'outbound|5432||x',
      pod_name: 'orders-7c9d8b6f5d-x2x4k',
      pod_namespace: 'api',
    }
    expect(event(outbound).src_identity).toBe('api/orders')
  })

  it.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
    'reads the real inbound TEXT rows (Istio mTLS SNI) as mutual and the outbound ones as unknown',
    () => {
      const result = envoyAccessLogParser.parse(
        readSharedFixture('istio-access-log/elastic-test-access-logs.log'),
      )
      for (const record of result.records) {
        const inboundRow = record.raw.includes(' inbound|')
        expect(record.event.mtls, record.raw).toBe(inboundRow ? 'mutual' : undefined)
      }
      expect(result.records.filter((record) => record.event.mtls === 'mutual').length).toBeGreaterThan(0)
    },
  )
})

// Issue 15: a bad certificate rotation made every handshake to payments fail, and only the 5-minute
// scrape of the listener's TLS stats said so. The client's sidecar logs each failed request at once
// (503 UF,URX, the TLS error in UPSTREAM_TRANSPORT_FAILURE_REASON).
describe('envoy-access-log > failed TLS handshakes', () => {
  const certificateVerifyFailed =
    'TLS error: 268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED'
  const readFixtureLine = (match: string) =>
    readSharedFixture('istio-access-log/elastic-test-access-failed.log')
      .split('\n')
      .find((line) => line.includes(match))!
  const fixtures = it.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))

  fixtures('reads no handshake failure from the real UF row whose connect was refused (not TLS)', () => {
    const line = readFixtureLine(' 503 UF ')
    const result = envoyAccessLogParser.parse(line)
    expect(result.rejected).toEqual([])
    expect(result.records.map((record) => record.kind)).toEqual(['flow'])
  })

  fixtures(
    'turns the real UF row, failing on a TLS error, into a failed mTLS handshake beside its flow',
    () => {
      // The real row's shape with the transport failure Envoy logs when the server's certificate fails
      // verification (the quoted field after the connection termination details).
      const line = readFixtureLine(' 503 UF ')
        .replace(
          'connection_failure,delayed_connect_error:_111} - "-"',
          `connection_failure,${certificateVerifyFailed.replaceAll(' ', '_')}} - "${certificateVerifyFailed}"`,
        )
        .replace(' inbound|9080|| ', ' outbound|9080||reviews.default.svc.cluster.local ')
      const result = envoyAccessLogParser.parse(line)
      expectAllValid(result)
      expect(result.records.map((record) => record.kind)).toEqual(['flow', 'mtls'])
      expect(result.records[1]!.event).toMatchObject({
        source: 'envoy',
        ts: Date.parse('2022-09-01T13:15:09.085Z'),
        service: 'reviews.default.svc.cluster.local',
        dst_port: 9080,
        mode: 'mutual',
        outcome: 'failure',
        reason: 'fail_verify_error',
      })
      expect(result.records[1]!.event.event_id).not.toBe(result.records[0]!.event.event_id)
    },
  )

  it("names the client pod's workload on a JSON outbound UF,URX record, in Envoy 1.27's error layout too", () => {
    const record = {
      start_time: '2026-01-07T16:00:01.250Z',
      method: 'POST',
      path: '/v1/charges',
      protocol: 'HTTP/1.1',
      response_code: 503,
      response_flags: 'UF,URX',
      response_code_details:
        'upstream_reset_before_response_started{connection_failure,TLS_error:|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end}',
      upstream_transport_failure_reason:
        'TLS_error:|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end',
      upstream_host: '10.244.1.20:8443',
      upstream_cluster: 'outbound|8443||payments.payments.svc.cluster.local',
      downstream_local_address: '10.96.0.40:8443',
      downstream_remote_address: '10.244.1.15:50312',
      upstream_peer_uri_san: null,
      connection_security_policy: 'unknown',
      pod_name: 'checkout-6d8f9c7b5-qx2lp',
      pod_namespace: 'shop',
    }
    const result = envoyAccessLogParser.parse(JSON.stringify(record))
    expectAllValid(result)
    const mtls = result.records.find((r) => r.kind === 'mtls')!.event
    expect(mtls).toMatchObject({
      src_identity: 'shop/checkout',
      service: 'payments.payments.svc.cluster.local',
      outcome: 'failure',
      reason: 'fail_verify_error',
    })
    expect(mtls.dst_identity).toBeUndefined()
  })

  it('reads a downstream handshake failure at an inbound listener as the server side, and other reasons by name', () => {
    const record = {
      start_time: '2026-01-07T16:00:02.000Z',
      response_code: 0,
      response_flags: '-',
      downstream_transport_failure_reason:
        'TLS_error:|268436526:SSL_routines:OPENSSL_internal:SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:TLS_error_end',
      upstream_cluster: 'inbound|8443||',
      downstream_local_address: '10.244.1.20:8443',
      downstream_remote_address: '10.244.1.15:50314',
      pod_name: 'payments-5f7b9c8d6-k2m4n',
      pod_namespace: 'payments',
    }
    const result = envoyAccessLogParser.parse(JSON.stringify(record))
    expectAllValid(result)
    expect(result.records.find((r) => r.kind === 'mtls')!.event).toMatchObject({
      dst_identity: 'payments/payments',
      dst_port: 8443,
      outcome: 'failure',
      reason: 'sslv3_alert_unsupported_certificate',
    })
  })
})

// Issue 15, independent scenario: an exfiltration through the PassthroughCluster named neither the
// host nor (without a pod join) the workload, and plaintext into a STRICT Service named only the
// Service's DNS name. Record shapes: Istio's default JSON keys (the Elastic fixture's), nulls unset.
describe('envoy-access-log > destination host and the inbound Service', () => {
  const event = (record: Record<string, unknown>) =>
    envoyAccessLogParser.parse(JSON.stringify(record)).records[0]!.event

  const passthrough = jsonRecord({
    authority: null,
    method: null,
    path: null,
    protocol: null,
    response_code: 0,
    response_code_details: null,
    request_id: null,
    bytes_received: 61469698,
    bytes_sent: 5120,
    duration: 14200,
    upstream_cluster: 'PassthroughCluster',
    upstream_host: '203.0.113.77:443',
    upstream_local_address: '10.42.1.37:48812',
    downstream_local_address: '203.0.113.77:443',
    downstream_remote_address: '10.42.1.37:51222',
    requested_server_name: 'dl.filedrop-share.example',
  })

  it('keeps the SNI of a PassthroughCluster egress as the destination host, beside the bytes the app sent', () => {
    expect(event(passthrough)).toMatchObject({
      dst_host: 'dl.filedrop-share.example',
      dst_ip: '203.0.113.77',
      src_ip: '10.42.1.37',
      bytes_sent: 61469698,
    })
    expect(validateEvent('flow', event(passthrough), context)).toMatchObject({ ok: true })
  })

  it("names an outbound line's host from its cluster or authority, never from Istio's mTLS SNI or an address", () => {
    expect(
      event(jsonRecord({ upstream_cluster: 'outbound|443||api.stripe.com', requested_server_name: null }))
        .dst_host,
    ).toBe('api.stripe.com')
    expect(
      event(
        jsonRecord({
          upstream_cluster: 'PassthroughCluster',
          requested_server_name: null,
          authority: 'Api.Example.com:8443',
        }),
      ).dst_host,
    ).toBe('api.example.com')
    expect(
      event(
        jsonRecord({
          upstream_cluster: 'PassthroughCluster',
          requested_server_name: null,
          authority: '35.184.82.199',
        }),
      ).dst_host,
    ).toBeUndefined()
    // Inbound, Istio's SNI: the mesh's own mTLS, the service is named by `service` and the workload.
    expect(event(jsonRecord()).dst_host).toBeUndefined()
  })

  it('names the server of a plaintext inbound line by the Service in its authority (ns/svc), keeping mtls plaintext', () => {
    const plaintextIn = jsonRecord({
      authority: 'user-profile.identity.svc.cluster.local:8080',
      path: '/v1/users?limit=500&offset=0',
      upstream_cluster: 'inbound|8080||',
      upstream_host: '10.42.3.21:8080',
      downstream_local_address: '10.42.3.21:8080',
      downstream_remote_address: '10.42.2.199:39120',
      requested_server_name: null,
      downstream_peer_uri_san: null,
    })
    expect(event(plaintextIn)).toMatchObject({
      dst_identity: 'identity/user-profile',
      mtls: 'plaintext',
      service: 'user-profile.identity.svc.cluster.local',
    })
    expect(event({ ...plaintextIn, authority: 'user-profile.identity.svc:8080' }).dst_identity).toBe(
      'identity/user-profile',
    )
    // A short name or a public host says no namespace: nothing is guessed.
    expect(event({ ...plaintextIn, authority: 'user-profile:8080' }).dst_identity).toBeUndefined()
    expect(event({ ...plaintextIn, authority: 'shop.northwind.example' }).dst_identity).toBeUndefined()
    // An outbound line's authority is the server the client called, not the logging pod.
    expect(
      event({ ...plaintextIn, upstream_cluster: 'outbound|8080||user-profile.identity.svc.cluster.local' })
        .dst_identity,
    ).toBeUndefined()
  })
})
