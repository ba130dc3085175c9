// The independent scenario against the real sources: its records and the shared fixtures (Cilium's
// hubble-otel captures, Elastic's Istio and Okta test logs, OPA's documented upload body; sources in
// ../shared/fixtures/README.md) compared by shape: field paths, enum values, and the mix of event
// kinds. The scenario is only worth something if it writes what the sources write.

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
import { buildIndependentScenario } from './build-scenario.ts'

const scenario = buildIndependentScenario({ seed: 5, days: 2, scale: 0.15 })
const ours = (format: string): Json[] =>
  scenario.streams
    .filter((stream) => stream.format === format)
    .flatMap((stream) => stream.items.map((item) => JSON.parse(item.text) as Json))

describe.skipIf(!sharedFixturesAvailable(process.env.CI === 'true'))(
  'independent scenario > shape of its records against the shared fixtures',
  () => {
    describe('hubble-flow', () => {
      const fixtures = hubbleFlowFixturePaths.flatMap((path) =>
        jsonLines(readSharedFixture(path)).map((line) => line.flow as Json),
      )
      const flows = ours('hubble-flow').map((line) => line.flow as Json)
      const kindOf = hubbleFlowKind
      // Newer than the fixtures' Cilium 1.10 captures, each in flow.proto: the flow's uuid (Hubble
      // 0.11), endpoint workloads (1.13), the drop reason's number beside its name.
      const newer = [
        /^uuid$/,
        /^(source|destination)\.workloads\[\]\.(name|kind)$/,
        /^drop_reason$/,
        /^event_type\.sub_type$/,
        /^l4\.<l4>\.flags\.(FIN|SYN|RST|PSH|ACK|URG|ECE|CWR|NS)$/, // flow.proto TCPFlags
      ]

      it('writes no field the real flows do not have (beyond newer Cilium fields)', () => {
        expect(missingFrom(allPaths(flows), allPaths(fixtures), newer)).toEqual([])
      })

      it('writes, for each kind of event the captures show, the fields every captured one has', () => {
        const real = groupBy(fixtures, kindOf)
        const compared: string[] = []
        // The captures' events are between pods; the node (identity 1) and the world (2) have no pod fields.
        const betweenPods = flows.filter(
          (flow) =>
            ![1, 2].includes(Number(at(flow, 'source.identity'))) &&
            ![1, 2].includes(Number(at(flow, 'destination.identity'))),
        )
        for (const [kind, records] of groupBy(betweenPods, kindOf)) {
          const captured = real.get(kind)
          if (captured === undefined) continue
          compared.push(kind)
          // TCP flags are the packet's own; ethernet and interface depend on the datapath.
          const required = missingFrom(commonPaths(captured), new Set(), [
            /\.flags\./,
            /^ethernet\./,
            /^interface\./,
          ])
          for (const record of records.slice(0, 300))
            expect(missingFrom(required, fieldPaths(record)), kind).toEqual([])
        }
        expect(compared).toEqual(
          expect.arrayContaining([
            '4/TO_ENDPOINT/false',
            '4/TO_ENDPOINT/true',
            '5/-/false',
            '129/-/false',
            '129/-/true',
          ]),
        )
      })

      it('uses only real enum values', () => {
        const values = (records: Json[], path: string) => new Set(records.map((record) => at(record, path)))
        for (const path of [
          'verdict',
          'Type',
          'trace_observation_point',
          'traffic_direction',
          'l7.type',
          'IP.ipVersion',
        ])
          for (const value of values(flows, path)) expect(values(fixtures, path), path).toContain(value)
        // flow.proto DropReason names beyond the two the fixtures show.
        const dropReasons = new Set([...values(fixtures, 'drop_reason_desc'), 'AUTH_REQUIRED'])
        for (const value of values(flows, 'drop_reason_desc')) expect(dropReasons).toContain(value)
        for (const value of values(flows, 'event_type.type'))
          expect(new Set([...values(fixtures, 'event_type.type'), 1])).toContain(value)
      })

      it('mixes events as a capture does: replies, verdicts, drops with reasons, DNS answers and NXDOMAIN', () => {
        const share = (records: Json[], test: (flow: Json) => boolean) =>
          records.filter(test).length / records.length
        const reply = (flow: Json) => flow.is_reply === true
        expect(share(flows, reply)).toBeGreaterThan(share(fixtures, reply) / 2)
        expect(share(flows, reply)).toBeLessThan(share(fixtures, reply) * 2)
        expect(share(flows, (flow) => at(flow, 'event_type.type') === 5)).toBeGreaterThan(0.03)
        expect(share(flows, (flow) => at(flow, 'l7.dns.rcode') === 3)).toBeGreaterThan(0)
        expect(share(flows, (flow) => Array.isArray(at(flow, 'l7.dns.ips')))).toBeGreaterThan(0)
        expect(
          new Set(flows.filter((flow) => flow.verdict === 'DROPPED').map((flow) => flow.drop_reason_desc)),
        ).toEqual(new Set(['POLICY_DENIED', 'AUTH_REQUIRED']))
        // A TCP reply names the server as source: the client's ephemeral port is the destination port.
        const replies = flows.filter((flow) => flow.is_reply === true && flow.Type === 'L3_L4')
        expect(replies.every((flow) => Number(at(flow, 'l4.TCP.destination_port')) >= 32768)).toBe(true)
        expect(replies.every((flow) => flow.reply === true)).toBe(true)
        // Kubelet probes from the node and traffic leaving for the world, as reserved identities.
        expect(flows.some((flow) => at(flow, 'source.identity') === 1)).toBe(true)
        expect(flows.some((flow) => at(flow, 'destination.identity') === 2)).toBe(true)
      })
    })

    describe('istio-access-log (JSON encoding)', () => {
      const fixtures = jsonLines(readSharedFixture('istio-access-log/elastic-test-access-json-logs.log'))
      const lines = ours('istio-access-log')
      // This mesh's Telemetry format adds two Envoy command operators to Istio's default JSON keys.
      const configured = [/^(downstream|upstream)_peer_uri_san$/]

      it("writes Istio's default keys on every line, and nothing else but the configured additions", () => {
        const defaults = commonPaths(fixtures)
        for (const record of lines.slice(0, 2000))
          expect(missingFrom(defaults, fieldPaths(record))).toEqual([])
        expect(missingFrom(allPaths(lines), allPaths(fixtures), configured)).toEqual([])
      })

      it('shows inbound and outbound views of one request, TCP lines with response code 0, passthrough egress, plaintext', () => {
        const clusters = lines.map((record) => String(record.upstream_cluster))
        expect(clusters).toContain('PassthroughCluster')
        expect(
          lines.some(
            (record) => record.response_code === 0 && record.method === null && record.protocol === null,
          ),
        ).toBe(true)
        const views = groupBy(
          lines.filter((record) => record.request_id !== null),
          (record) => String(record.request_id),
        )
        const both = [...views.values()].filter(
          (group) =>
            group.some((line) => String(line.upstream_cluster).startsWith('inbound|')) &&
            group.some((line) => String(line.upstream_cluster).startsWith('outbound|')),
        )
        expect(both.length / views.size).toBeGreaterThan(0.5)
        // mTLS inbound lines carry Istio's SNI; the plaintext ones (and the NR lines of refused plaintext) none.
        const inbound = lines.filter((line) => String(line.upstream_cluster).startsWith('inbound|'))
        expect(
          inbound
            .filter((line) => line.downstream_peer_uri_san !== null)
            .every((line) => String(line.requested_server_name).startsWith('outbound_.')),
        ).toBe(true)
        expect(
          lines.some((line) => line.response_flags === 'NR' && line.requested_server_name === null),
        ).toBe(true)
        for (const value of new Set(lines.map((line) => line.response_flags)))
          expect(String(value)).toMatch(/^(-|[A-Z]{2,4}(,[A-Z]{2,4})*)$/)
      })
    })

    describe('opa-decision-log (opa-envoy-plugin)', () => {
      const fixtures = JSON.parse(
        readSharedFixture('opa-decision/opa-docs-decision-log-upload-body.json'),
      ) as Json[]
      const events = ours('opa-decision-log')
      // The agent's fields the docs' sample leaves out (metrics, req_id); the input is the plugin's
      // CheckRequest rendering, the result its object form.
      const plugin = [/^input\./, /^result\./, /^metrics\./, /^req_id$/]

      it("writes the agent's envelope on every event and only documented fields", () => {
        const envelope = missingFrom(commonPaths(fixtures), new Set(), [
          /^input\./,
          /^result$/,
          /^labels\.(app|version)$/,
        ])
        for (const event of events.slice(0, 500)) expect(missingFrom(envelope, fieldPaths(event))).toEqual([])
        expect(missingFrom(allPaths(events), allPaths(fixtures), plugin)).toEqual([])
        expect(new Set(events.map((event) => event.path))).toEqual(new Set(['envoy/authz/allow']))
      })

      it('carries allows and denies with source principals and the bundle revision', () => {
        expect(events.some((event) => at(event, 'result.allowed') === true)).toBe(true)
        expect(events.every((event) => typeof at(event, 'bundles.authz.revision') === 'string')).toBe(true)
        expect(
          events.every((event) =>
            String(at(event, 'input.attributes.destination.principal')).startsWith('spiffe://'),
          ),
        ).toBe(true)
      })
    })

    describe('okta-system-log', () => {
      const fixtures = jsonLines(readSharedFixture('okta-system-log/elastic-test-okta-system-events.log'))
      const events = ours('okta-system-log')
      const kindOf = (event: Json) => String(event.eventType)

      it('writes no field the real System Log events do not have', () => {
        expect(
          missingFrom(allPaths(events), allPaths(fixtures), [/^debugContext\.debugData\.factor$/]),
        ).toEqual([])
      })

      it('writes, per event type the fixtures show, the fields every such event there has', () => {
        const real = groupBy(fixtures, kindOf)
        for (const [kind, records] of groupBy(events, kindOf)) {
          const captured = real.get(kind)
          if (captured === undefined) continue
          const required = missingFrom(commonPaths(captured), new Set(), [
            // Per-tenant settings and fixture placeholders, not properties of an event type.
            /^debugContext\.debugData\.(dtHash|logOnlySecurityData|originalPrincipal|promptingPolicyTypes|authnRequestId|behaviors|risk|deviceFingerprint)$/,
            /^target\[\]/,
            /^transaction\.detail\./,
          ])
          for (const record of records.slice(0, 200))
            expect(missingFrom(required, fieldPaths(record)), kind).toEqual([])
        }
      })

      it('mixes sign-ins, policy evaluations, MFA, SSO, logouts, lockouts, unknown users and tokens', () => {
        const types = new Set(events.map(kindOf))
        for (const type of [
          'user.session.start',
          'policy.evaluate_sign_on',
          'user.authentication.auth_via_mfa',
          'user.authentication.sso',
          'user.session.end',
          'user.account.lock',
          'app.oauth2.as.token.grant.access_token',
        ])
          expect(types).toContain(type)
        const reasons = new Set(events.map((event) => at(event, 'outcome.reason')))
        for (const reason of ['INVALID_CREDENTIALS', 'VERIFICATION_ERROR']) expect(reasons).toContain(reason)
        const unknown = events.filter((event) => at(event, 'outcome.reason') === 'VERIFICATION_ERROR')
        expect(unknown.every((event) => at(event, 'actor.id') === 'unknown')).toBe(true)
        const withBehaviors = events.filter(
          (event) => at(event, 'debugContext.debugData.behaviors') !== undefined,
        )
        expect(withBehaviors.length).toBeGreaterThan(0)
        expect(
          withBehaviors.every((event) =>
            /^\{(New [A-Za-z-]+|Velocity)=(POSITIVE|NEGATIVE)(, (New [A-Za-z-]+|Velocity)=(POSITIVE|NEGATIVE))*\}$/.test(
              String(at(event, 'debugContext.debugData.behaviors')),
            ),
          ),
        ).toBe(true)
        for (const path of ['outcome.result', 'severity', 'client.device', 'version', 'client.zone'])
          for (const value of new Set(events.map((event) => at(event, path))))
            expect(
              [
                ...new Set(fixtures.map((event) => at(event, path))),
                'FAILURE',
                'WARN',
                'CHALLENGE',
                'Computer',
              ],
              path,
            ).toContain(value)
      })
    })
  },
)
