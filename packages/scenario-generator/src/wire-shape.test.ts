// The generator against the real sources: records of the shared fixtures (written by Cilium's
// hubble-otel captures, Elastic's Istio and Okta test logs, ../shared/fixtures/README.md) and the
// generated records of the same formats, compared by shape: field paths, enum values, and the mix
// of event types. A generator that only writes what the detectors expect cannot find the detectors'
// mistakes; this keeps it writing what the sources write.

import {
  allPaths,
  at,
  commonPaths,
  fieldPaths,
  groupBy,
  hubbleFlowFixturePaths,
  hubbleFlowKind,
  type Json,
  jsonLines,
  missingFrom,
  readSharedFixture,
  sharedFixturesAvailable,
} from '@palisade/formats/testing'
import { describe, expect, it } from 'vitest'
import { generateScenario } from './generate-scenario.ts'

const scenario = generateScenario({ seed: 3, days: 2, scale: 0.1 })
const generated = (format: string): Json[] =>
  scenario.streams
    .filter((stream) => stream.format === format)
    .flatMap((stream) => stream.items.map((item) => JSON.parse(item.text) as Json))

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'scenario generator > shape of its records against the shared fixtures',
  () => {
    describe('hubble-flow', () => {
      const fixtures = hubbleFlowFixturePaths.flatMap((path) =>
        jsonLines(readSharedFixture(path)).map((line) => line.flow as Json),
      )
      const ours = generated('hubble-flow').map((line) => line.flow as Json)
      const kindOf = hubbleFlowKind
      // What Cilium writes that is newer than the fixtures' Cilium 1.10 captures, or not in them
      // because the capture had no such event (each checked against flow.proto).
      const newer = [
        /^uuid$/, // Hubble 0.11
        /^(source|destination)\.workloads\[\]\.(name|kind)$/, // Cilium 1.13
        /^destination_service\.(name|namespace)$/, // when the agent resolves a service
        /^destination_names\[\]$/, // DNS-aware policy
        /^drop_reason$/, // the number beside drop_reason_desc (masked out of the docs sample)
        /^event_type\.sub_type$/, // drops carry their reason's number
        /^l4\.ICMPv6\.type$/,
      ]

      it('writes no field the real flows do not have (beyond the fields of newer Cilium)', () => {
        expect(missingFrom(allPaths(ours), allPaths(fixtures), newer)).toEqual([])
      })

      it('writes, for each kind of event the captures show, the fields every captured one has', () => {
        const real = groupBy(fixtures, kindOf)
        const mine = groupBy(ours, kindOf)
        const compared: string[] = []
        for (const [kind, records] of mine) {
          const captured = real.get(kind)
          if (captured === undefined) continue
          compared.push(kind)
          // TCP flags are the packet's own; the interface and ethernet header depend on the path.
          const required = missingFrom(commonPaths(captured), new Set(), [
            /\.flags\./,
            /^ethernet\./,
            /^interface\./,
          ])
          for (const record of records.slice(0, 200))
            expect(missingFrom(required, fieldPaths(record)), kind).toEqual([])
        }
        // Trace deliveries both ways, replies leaving the server, L7 DNS both ways.
        expect(compared).toEqual(
          expect.arrayContaining([
            '4/TO_ENDPOINT/false',
            '4/TO_ENDPOINT/true',
            '4/TO_STACK/false',
            '129/-/false',
            '129/-/true',
          ]),
        )
      })

      it('uses only real enum values: verdicts, types, observation points, directions, drop reasons', () => {
        const values = (records: Json[], path: string) => new Set(records.map((record) => at(record, path)))
        // flow.proto's DropReason names the fixtures do not show but the scenario needs.
        const dropReasons = new Set([
          ...values(fixtures, 'drop_reason_desc'),
          'AUTH_REQUIRED',
          'STALE_OR_UNROUTABLE_IP',
        ])
        for (const path of ['verdict', 'Type', 'trace_observation_point', 'traffic_direction', 'l7.type'])
          for (const value of values(ours, path)) expect(values(fixtures, path), path).toContain(value)
        for (const value of values(ours, 'drop_reason_desc')) expect(dropReasons).toContain(value)
        for (const value of values(ours, 'event_type.type'))
          expect(new Set([...values(fixtures, 'event_type.type'), 1])).toContain(value)
      })

      it('mixes events as a capture does: verdicts, traces both ways, drops with reasons, DNS answers', () => {
        const share = (test: (flow: Json) => boolean) => ours.filter(test).length / ours.length
        const realShare = (test: (flow: Json) => boolean) => fixtures.filter(test).length / fixtures.length
        const reply = (flow: Json) => flow.is_reply === true
        // The captures: about a third of the events are replies; so here, within a factor of two.
        expect(share(reply)).toBeGreaterThan(realShare(reply) / 2)
        expect(share(reply)).toBeLessThan(realShare(reply) * 2)
        expect(share((flow) => at(flow, 'event_type.type') === 5)).toBeGreaterThan(0.05)
        expect(share((flow) => at(flow, 'l7.dns.rcode') === 3)).toBeGreaterThan(0)
        expect(share((flow) => Array.isArray(at(flow, 'l7.dns.ips')))).toBeGreaterThan(0)
        const reasons = new Set(
          ours.filter((flow) => flow.verdict === 'DROPPED').map((flow) => flow.drop_reason_desc),
        )
        expect(reasons).toEqual(new Set(['POLICY_DENIED', 'AUTH_REQUIRED', 'INVALID_SOURCE_IP']))
        // A reply names the server as its source and the client's ephemeral port as destination port.
        const replies = ours.filter((flow) => flow.is_reply === true && flow.Type === 'L3_L4')
        expect(replies.every((flow) => Number(at(flow, 'l4.TCP.destination_port')) >= 32768)).toBe(true)
        expect(replies.every((flow) => flow.reply === true)).toBe(true)
      })
    })

    describe('envoy-access-log (Istio JSON encoding)', () => {
      const fixtures = jsonLines(readSharedFixture('istio-access-log/elastic-test-access-json-logs.log'))
      const ours = generated('envoy-access-log')
      // What the scenario's mesh adds to Istio's default JSON keys (see wire/envoy-access-log-record.ts).
      const configured = [
        /^(downstream|upstream)_(peer|local)_uri_san$/,
        /^connection_security_policy$/,
        /^pod_(name|namespace)$/,
      ]

      it("writes Istio's default keys on every line, and only them beyond the mesh's configured additions", () => {
        const defaults = commonPaths(fixtures)
        for (const record of ours.slice(0, 500)) expect(missingFrom(defaults, fieldPaths(record))).toEqual([])
        expect(missingFrom(allPaths(ours), allPaths(fixtures), configured)).toEqual([])
      })

      it('shows inbound and outbound views of one request, TCP lines with response code 0 and passthrough egress', () => {
        const clusters = ours.map((record) => String(record.upstream_cluster))
        expect(clusters.some((cluster) => cluster.startsWith('inbound|'))).toBe(true)
        expect(clusters.some((cluster) => cluster.startsWith('outbound|'))).toBe(true)
        expect(clusters).toContain('PassthroughCluster')
        expect(ours.some((record) => record.response_code === 0 && record.method === null)).toBe(true)
        const views = groupBy(
          ours.filter((record) => record.request_id !== null),
          (record) => String(record.request_id),
        )
        const both = [...views.values()].filter(
          (lines) =>
            lines.some((line) => String(line.upstream_cluster).startsWith('inbound|')) &&
            lines.some((line) => String(line.upstream_cluster).startsWith('outbound|')),
        )
        // Requests from pods without a sidecar (Prometheus, the blackbox exporter) have only the inbound view.
        expect(both.length / views.size).toBeGreaterThan(0.3)
        expect(new Set(ours.map((record) => record.connection_security_policy))).toEqual(
          new Set(['mutual_tls', 'none', 'unknown']),
        )
      })

      it('marks plaintext as the server sees it: no peer SAN, no SNI, policy none', () => {
        const plaintext = ours.filter((record) => record.connection_security_policy === 'none')
        expect(plaintext.length).toBeGreaterThan(0)
        expect(
          plaintext.every((r) => r.downstream_peer_uri_san === null && r.requested_server_name === null),
        ).toBe(true)
      })
    })

    describe('okta-system-log', () => {
      const fixtures = jsonLines(readSharedFixture('okta-system-log/elastic-test-okta-system-events.log'))
      const ours = generated('okta-system-log')
      const kindOf = (event: Json) => String(event.eventType)

      it('writes no field the real System Log events do not have', () => {
        // `target` is null or a list; Okta's lockout reason sits in outcome like any other.
        expect(missingFrom(allPaths(ours), allPaths(fixtures), [/^target\[\]\.id$/])).toEqual([])
      })

      it('writes, per event type the fixtures show, the fields every such event there has', () => {
        const real = groupBy(fixtures, kindOf)
        for (const [kind, records] of groupBy(ours, kindOf)) {
          const captured = real.get(kind)
          if (captured === undefined) continue
          const required = missingFrom(commonPaths(captured), new Set(), [
            // Per-tenant settings and fixture placeholders, not properties of an event type.
            /^debugContext\.debugData\.(dtHash|logOnlySecurityData|originalPrincipal|promptingPolicyTypes)$/,
            /^target\[\]/,
          ])
          for (const record of records.slice(0, 200))
            expect(missingFrom(required, fieldPaths(record)), kind).toEqual([])
        }
      })

      it('mixes sign-ins, policy evaluations, logouts, lockouts and unknown users, with behaviours and risk', () => {
        const types = new Set(ours.map(kindOf))
        for (const type of [
          'user.session.start',
          'policy.evaluate_sign_on',
          'user.authentication.auth_via_mfa',
          'user.session.end',
          'user.account.lock',
        ])
          expect(types).toContain(type)
        const reasons = new Set(ours.map((event) => at(event, 'outcome.reason')))
        for (const reason of ['INVALID_CREDENTIALS', 'LOCKED_OUT', 'VERIFICATION_ERROR'])
          expect(reasons).toContain(reason)
        const unknown = ours.filter((event) => at(event, 'outcome.reason') === 'VERIFICATION_ERROR')
        expect(unknown.every((event) => at(event, 'actor.id') === 'unknown')).toBe(true)
        const signIns = ours.filter((event) => event.eventType === 'user.authentication.auth_via_mfa')
        expect(
          signIns.every((event) =>
            /^\{.*New IP=(POSITIVE|NEGATIVE).*\}$/.test(
              String(at(event, 'debugContext.debugData.behaviors')),
            ),
          ),
        ).toBe(true)
        expect(new Set(signIns.map((event) => String(at(event, 'debugContext.debugData.risk'))))).toContain(
          '{level=LOW}',
        )
        // The values' forms are Okta's own, as in the fixtures.
        for (const path of ['outcome.result', 'severity', 'client.device', 'version'])
          for (const value of new Set(ours.map((event) => at(event, path))))
            expect([...new Set(fixtures.map((event) => at(event, path))), 'FAILURE', 'WARN'], path).toContain(
              value,
            )
      })
    })
  },
)
