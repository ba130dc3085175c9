import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type ClickHouseClient,
  createEventWriter,
  createFindingStore,
  createSloRollupReader,
  dashboardQueries,
  migrate,
  migrationsDir,
  openClickHouse,
} from '@palisade/clickhouse'
import { loadIntentDirectory, loadSloDirectory } from '@palisade/declarations'
import { detectorCatalog, runDetector } from '@palisade/detectors'
import { formatParsers } from '@palisade/formats'
import { emptyIntent } from '@palisade/intent'
import { type AnyEvent, type EventKind, type Finding, validateEvent } from '@palisade/schema'
import { createSloStatusReader, type SloStatus, type SloStatusReader } from '@palisade/slo'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The SLIs of the catalogue declared in alerts/slos, each from records in the wire formats users
// send, through the parsers, the real store (chDB), its rollup views and the SLO reader, to the
// value over a window: with each SLI's "watch out" case from the domain notes.
const MIN = 60_000
const t0 = Date.UTC(2026, 0, 15, 12, 0)
const sloDir = fileURLToPath(new URL('../../../alerts/slos', import.meta.url))
const intentDir = fileURLToPath(new URL('../../../alerts/intent', import.meta.url))
const tenant = 'acme'

let client: ClickHouseClient
let dataDir: string
let reader: SloStatusReader
/** The same SLOs read without any declared egress (the watch-out of the egress block rate). */
let undeclaredReader: SloStatusReader

/** Parse `input` with a registered format and validate every record; any rejection fails the test. */
function parse(
  format: string,
  input: string,
  options?: Record<string, string>,
  as = tenant,
): { kind: EventKind; event: AnyEvent }[] {
  const parser = formatParsers.get(format)
  if (!parser) throw new Error(`no format ${format}`)
  const result = parser.parse(input, options)
  expect(result.rejected).toEqual([])
  return result.records.map((record) => {
    const checked = validateEvent(record.kind, record.event, { tenant: as, observedAt: t0 })
    if (!checked.ok) throw new Error(`${format} line ${record.line}: ${checked.reason}`)
    return { kind: record.kind, event: checked.event }
  })
}

const iso = (ms: number) => new Date(ms).toISOString()
const lines = (records: unknown[]) => records.map((record) => JSON.stringify(record)).join('\n')

/**
 * OPA decision-log events (the agent's upload body) for Envoy ext_authz, as OPA writes them: the
 * evaluation time and the prepared-query cache counter in `metrics` when the logger keeps them.
 */
function opaDecisions(
  count: number,
  at: number,
  opts: { ms?: number; cacheHit?: 0 | 1; requestId?: boolean },
) {
  return JSON.stringify(
    Array.from({ length: count }, (_, i) => ({
      decision_id: `${opts.ms ?? 'x'}-${opts.cacheHit ?? 'n'}-${at}-${i}`,
      labels: { id: 'opa-sidecar-1', version: '1.4.2', service: 'payments' },
      bundles: { authz: { revision: 'v7' } },
      path: 'envoy/authz/allow',
      input:
        opts.requestId === false
          ? { method: 'GET', path: '/balance', subject: 'ann@acme.io' }
          : {
              attributes: {
                source: { principal: 'spiffe://acme.io/ns/shop/sa/web' },
                destination: { principal: 'spiffe://acme.io/ns/payments/sa/api' },
                request: {
                  http: { method: 'POST', path: '/charge', headers: { 'x-request-id': `req-${at}-${i}` } },
                },
              },
            },
      result: { allowed: true },
      timestamp: iso(at + i * 100),
      ...(opts.ms === undefined
        ? {}
        : {
            metrics: {
              timer_rego_query_eval_ns: opts.ms * 1e6,
              ...(opts.cacheHit === undefined ? {} : { counter_server_query_cache_hit: opts.cacheHit }),
            },
          }),
    })),
  )
}

/** Hubble flow records: pod to pod (both ends named), or between addresses Cilium knows nothing of. */
function hubbleFlows(count: number, at: number, identified: boolean): string {
  const endpoint = (app: string, ip: string) =>
    identified
      ? {
          ID: 1,
          identity: 4242,
          namespace: 'shop',
          labels: [
            `k8s:app=${app}`,
            `k8s:io.cilium.k8s.policy.serviceaccount=${app}`,
            'k8s:io.kubernetes.pod.namespace=shop',
          ],
          pod_name: `${app}-7d9f-x${ip.slice(-1)}`,
        }
      : { identity: 2, labels: ['reserved:world'] }
  return lines(
    Array.from({ length: count }, (_, i) => {
      const time = iso(at + i * 1000)
      return {
        flow: {
          time,
          verdict: 'FORWARDED',
          IP: { source: '10.0.3.7', destination: '10.0.4.9', ipVersion: 'IPv4' },
          l4: { TCP: { source_port: 40_000 + i, destination_port: 8080, flags: { SYN: true } } },
          source: endpoint('web', '10.0.3.7'),
          destination: endpoint('cart', '10.0.4.9'),
          Type: 'L3_L4',
          node_name: 'node-a',
          traffic_direction: 'EGRESS',
        },
        node_name: 'node-a',
        time,
      }
    }),
  )
}

/** Okta System Log sign-in failures of one user (wrong password), one every `every` ms from `from`. */
function oktaFailures(count: number, from: number, every: number): string {
  return lines(
    Array.from({ length: count }, (_, i) => ({
      uuid: `0c7d3e2a-1b4f-4a6e-9d2c-${String(i).padStart(12, '0')}`,
      published: iso(from + i * every),
      eventType: 'user.session.start',
      displayMessage: 'User login to Okta',
      outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
      actor: { id: '00u1', type: 'User', alternateId: 'bob@acme.io', displayName: 'Bob' },
      client: { ipAddress: '198.51.100.23', userAgent: { rawUserAgent: 'curl/8.4' } },
      target: [{ type: 'AppInstance', displayName: 'sso' }],
    })),
  )
}

function statusOf(statuses: SloStatus[], name: string): SloStatus {
  const status = statuses.find((s) => s.name === name)
  if (!status) throw new Error(`no status for ${name} (have ${statuses.map((s) => s.name).join(', ')})`)
  return status
}

/** OPA decisions of the orders service at one enforcement point, under a bundle revision. */
function ordersDecisions(
  count: number,
  at: number,
  revision: string,
  caller: string,
  path: string,
  allowed: boolean,
) {
  return JSON.stringify(
    Array.from({ length: count }, (_, i) => ({
      decision_id: `orders-${revision}-${caller}-${at}-${i}`,
      labels: { id: 'opa-orders', service: 'orders' },
      bundles: { authz: { revision } },
      path: 'envoy/authz/allow',
      input: {
        attributes: {
          source: { principal: `spiffe://acme.io/ns/shop/sa/${caller}` },
          destination: { principal: 'spiffe://acme.io/ns/orders/sa/api' },
          request: { http: { method: 'POST', path: path.replace('N', String(100 + i)) } },
        },
      },
      result: { allowed },
      timestamp: iso(at + i * 100),
    })),
  )
}

async function store(events: { kind: EventKind; event: AnyEvent }[]): Promise<void> {
  const writer = createEventWriter(client)
  const byKind = new Map<EventKind, AnyEvent[]>()
  for (const { kind, event } of events) byKind.set(kind, [...(byKind.get(kind) ?? []), event])
  for (const [kind, batch] of byKind)
    expect((await writer.write(kind, batch)).stored).toHaveLength(batch.length)
}

/** The brute-force detector over Okta failures, its findings stored as the runtime stores them. */
async function detectAndStore(
  events: { kind: EventKind; event: AnyEvent }[],
  lagMs: number,
): Promise<Finding[]> {
  const type = detectorCatalog.find((candidate) => candidate.name === 'brute_force')
  if (!type) throw new Error('no brute_force detector')
  const detector = type.create({
    id: 'identity.brute_force',
    title: type.description,
    severity: 'page',
    params: type.params.parse({}),
    intent: emptyIntent(),
  })
  const findings = runDetector(detector, events).map((draft) => ({ ...draft, detected_at: draft.ts + lagMs }))
  await createFindingStore(client).write(findings)
  return findings
}

let bruteForce: Finding[] = []

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'palisade-sli-catalogue-'))
  client = await openClickHouse({ kind: 'embedded', dataDir })
  await migrate(client, { dir: migrationsDir })

  // Decisions of the payments service. Minute A: 100 fast (10 ms), 95 from the cache. Minute B: 10
  // slow (200 ms), all cache misses. 20 Data API decisions whose logger kept no metrics and whose
  // caller sent no request id.
  await store([
    ...parse('opa-decision-log', opaDecisions(95, t0 - 50 * MIN, { ms: 10, cacheHit: 1 })),
    ...parse('opa-decision-log', opaDecisions(5, t0 - 50 * MIN + 20_000, { ms: 10, cacheHit: 0 })),
    ...parse('opa-decision-log', opaDecisions(10, t0 - 20 * MIN, { ms: 200, cacheHit: 0 })),
    ...parse('opa-decision-log', opaDecisions(20, t0 - 10 * MIN, { requestId: false })),
  ])

  // Policy changes as the control plane reports them (our NDJSON): 4 rollouts and a rollback that
  // applied, 1 rollout that failed; a dry-run stage of 3 rollouts, one failing; 1 hand edit.
  const change = (i: number, fields: Record<string, unknown>) => ({
    ts: t0 - 40 * MIN + i * MIN,
    service: 'payments',
    policy_id: 'payments-authz',
    revision: `r${i}`,
    enforcement_point: 'istio-ingress',
    ...fields,
  })
  await store(
    parse(
      'policy_change',
      lines([
        ...[0, 1, 2, 3].map((i) => change(i, {})),
        change(4, { change_type: 'rollback' }),
        change(5, { status: 'failed' }),
        change(6, { dry_run: true }),
        change(7, { dry_run: true }),
        change(8, { dry_run: true, status: 'failed' }),
        change(9, { change_type: 'config', actor: 'kubectl-edit' }),
      ]),
    ),
  )

  // Flows: 90 between named pods, 10 between addresses with no workload identity.
  await store([
    ...parse('hubble-flow', hubbleFlows(90, t0 - 30 * MIN, true)),
    ...parse('hubble-flow', hubbleFlows(10, t0 - 30 * MIN + 5 * MIN, false)),
  ])

  // Posture: osquery results of a Fleet-style disk encryption policy on 10 laptops (8 still
  // returning their row, 2 whose row was removed), and 5 checks an agent could not evaluate.
  const osquery = Array.from({ length: 10 }, (_, i) => ({
    name: 'pack_compliance_disk_encryption',
    hostIdentifier: `laptop-${i}`,
    unixTime: String((t0 - 25 * MIN) / 1000 + i),
    action: i < 8 ? 'added' : 'removed',
    columns: { encrypted: '1' },
    decorations: { username: `user${i}` },
  }))
  const unknown = Array.from({ length: 5 }, (_, i) => ({
    ts: t0 - 24 * MIN + i,
    device: `laptop-${i}`,
    check: 'edr_running',
    outcome: 'unknown',
    reason: 'agent last reported 3 days ago',
    agent: 'okta-device-context',
    service: 'devices',
  }))
  await store([...parse('osquery-results', lines(osquery)), ...parse('posture', lines(unknown))])

  // Tokens of the mobile app: 400 refreshes over 40 minutes, all fine, then a storm: 600 refreshes
  // in 2 minutes, of which 500 fail (clients retrying an expired grant).
  const refresh = (i: number, at: number, outcome: string) => ({
    ts: at,
    service: 'mobile-app',
    action: 'refresh',
    outcome,
    client_id: 'mobile-app',
    principal: `user${i % 50}@acme.io`,
    credential_id: `rt-${i}`,
    grant_type: 'refresh_token',
  })
  await store(
    parse(
      'token',
      lines([
        ...Array.from({ length: 400 }, (_, i) => refresh(i, t0 - 55 * MIN + i * 6000, 'success')),
        ...Array.from({ length: 600 }, (_, i) =>
          refresh(1000 + i, t0 - 8 * MIN + i * 200, i < 500 ? 'failure' : 'success'),
        ),
      ]),
    ),
  )

  // Time to detect: 20 wrong passwords of one user, one every 12 s; the brute-force detector fires
  // on the 15th (about 3 minutes after the first), and its findings are stored 2 s after that.
  const signIns = parse('okta-system-log', oktaFailures(20, t0 - 15 * MIN, 12_000))
  await store(signIns)
  bruteForce = await detectAndStore(signIns, 2000)

  // Egress from a VPC (AWS flow logs, v2 default format): 50 pulls of the partner feed the repo's
  // intent declares (192.0.2.0/24 on 443), and 10 attempts to an address nobody declared, 9 rejected.
  const vpcLine = (i: number, dst: string, port: number, action: string) =>
    `2 123456789010 eni-0a1b2c3d 10.0.1.5 ${dst} ${40_000 + i} ${port} 6 10 840 ${(t0 - 35 * MIN) / 1000 + i} ${(t0 - 35 * MIN) / 1000 + i + 5} ${action} OK`
  await store(
    parse(
      'aws-vpc-flow',
      [
        ...Array.from({ length: 50 }, (_, i) => vpcLine(i, '192.0.2.40', 443, 'ACCEPT')),
        ...Array.from({ length: 10 }, (_, i) =>
          vpcLine(100 + i, '198.18.7.21', 4444, i < 9 ? 'REJECT' : 'ACCEPT'),
        ),
      ].join('\n'),
    ),
  )

  // Time to revoke: Okta revokes two access tokens at t0 - 30 min. AT.intro is checked by
  // introspection at the gateway: accepted 10 s and 20 s after, refused from 40 s on. AT.jwt is a
  // self-contained JWT with an hour to live: accepted 1, 10 and 20 minutes after. Uses as the
  // gateway reports them (our NDJSON), stored after the revocations.
  const revokedAt = t0 - 30 * MIN
  const revoke = (uuid: string, token: string) => ({
    uuid,
    published: iso(revokedAt),
    eventType: 'app.oauth2.as.token.revoke',
    outcome: { result: 'SUCCESS' },
    actor: { id: '0oa1portal', type: 'PublicClientApp', alternateId: '0oa1portal', displayName: 'Portal' },
    target: [{ id: token, type: 'access_token', detailEntry: { subject: '00u1ann' } }],
  })
  await store(
    parse(
      'okta-system-log',
      lines([
        revoke('7e1f9b2a-0000-4000-8000-000000000001', 'AT.intro'),
        revoke('7e1f9b2a-0000-4000-8000-000000000002', 'AT.jwt'),
      ]),
    ),
  )
  const use = (token: string, afterMs: number, outcome = 'success') => ({
    ts: revokedAt + afterMs,
    service: 'Portal',
    source: 'api-gateway',
    action: 'use',
    outcome,
    credential_id: token,
    client_id: '0oa1portal',
  })
  await store(
    parse(
      'token',
      lines([
        use('AT.intro', -60_000),
        use('AT.intro', 10_000),
        use('AT.intro', 20_000),
        use('AT.intro', 40_000, 'failure'),
        use('AT.jwt', 60_000),
        use('AT.jwt', 10 * MIN),
        use('AT.jwt', 20 * MIN),
      ]),
    ),
  )

  // False denies, tenant globex: under bundle v7 the web workload's order posts are allowed (990)
  // and a scanner's posts to /admin denied (5); v8 denies both (30 and 5); a rollback restores v7,
  // and 10 more posts are allowed.
  const globex = (format: string, input: string) => parse(format, input, undefined, 'globex')
  await store([
    ...globex('opa-decision-log', ordersDecisions(990, t0 - 50 * MIN, 'v7', 'web', '/orders/N', true)),
    ...globex('opa-decision-log', ordersDecisions(5, t0 - 49 * MIN, 'v7', 'scanner', '/admin', false)),
    ...globex('opa-decision-log', ordersDecisions(30, t0 - 38 * MIN, 'v8', 'web', '/orders/N', false)),
    ...globex('opa-decision-log', ordersDecisions(5, t0 - 37 * MIN, 'v8', 'scanner', '/admin', false)),
  ])
  const ordersChange = (minutesBefore: number, fields: Record<string, unknown>) => ({
    ts: t0 - minutesBefore * MIN,
    service: 'orders',
    policy_id: 'orders-authz',
    enforcement_point: 'opa-orders',
    ...fields,
  })
  await store(
    globex(
      'policy_change',
      lines([
        ordersChange(40, { revision: 'v8', previous_revision: 'v7' }),
        ordersChange(30, { revision: 'v7', previous_revision: 'v8', change_type: 'rollback' }),
      ]),
    ),
  )
  await store(globex('opa-decision-log', ordersDecisions(10, t0 - 25 * MIN, 'v7', 'web', '/orders/N', true)))

  const slos = await loadSloDirectory(sloDir)
  const { intent } = await loadIntentDirectory(intentDir)
  reader = createSloStatusReader({
    rollups: createSloRollupReader(client, { declaredEgress: intent.declaredEgressRanges() }),
    slos,
    now: () => t0,
  })
  undeclaredReader = createSloStatusReader({ rollups: createSloRollupReader(client), slos, now: () => t0 })
}, 120_000)

afterAll(async () => {
  await client?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('the SLI catalogue of alerts/slos, from wire-format records', () => {
  it('decision latency counts decisions within 50 ms among timed ones, never averaging percentiles', async () => {
    const latency = statusOf(await reader.statuses(tenant), 'decision-latency')
    // 100 of the 110 timed decisions; the 20 without metrics are not in it. Averaging the two
    // minutes' p95 (10 ms and 200 ms) would say 105 ms, a breach; counting says 90.9% within 50 ms,
    // against the 95% a p95 < 50 ms target needs.
    expect(latency).toMatchObject({ total: 110, good: 100, objective: 0.95 })
    expect(latency.budgetRemaining).toBeLessThan(0)
  })

  it('decision cache hit counts lookups only where the source says hit or miss', async () => {
    const cache = statusOf(await reader.statuses(tenant), 'decision-cache-hit')
    expect(cache).toMatchObject({ total: 110, good: 95 })
  })

  it('telemetry completeness of decisions counts the ones carrying a request id', async () => {
    const completeness = statusOf(await reader.statuses(tenant), 'telemetry-completeness-decisions')
    expect(completeness).toMatchObject({ total: 130, good: 110 })
  })

  it('policy rollout error rate counts enforced rollouts and rollbacks; a dry-run stage is not a rollout', async () => {
    const rollouts = statusOf(await reader.statuses(tenant), 'policy-rollout-errors')
    expect(rollouts).toMatchObject({ total: 6, good: 5, objective: 0.995 })
  })

  it('policy drift counts out-of-band changes among all policy changes', async () => {
    const drift = statusOf(await reader.statuses(tenant), 'policy-drift')
    expect(drift).toMatchObject({ total: 10, good: 9 })
  })

  it('telemetry completeness of flows counts flows naming a workload on either side', async () => {
    const flows = statusOf(await reader.statuses(tenant), 'telemetry-completeness-flows')
    // 90 Hubble flows between pods; 10 Hubble flows of reserved:world and the 60 VPC flow log
    // records name no workload (a VPC flow log knows addresses and interfaces only).
    expect(flows).toMatchObject({ total: 160, good: 90 })
  })

  it('posture mismatch counts failed checks; a check the agent could not evaluate is not a failure', async () => {
    const posture = statusOf(await reader.statuses(tenant), 'posture-mismatch')
    expect(posture).toMatchObject({ total: 10, good: 8 })
  })

  it('a refresh storm spends the token refresh budget in minutes', async () => {
    const refresh = statusOf(await reader.statuses(tenant), 'token-refresh')
    expect(refresh).toMatchObject({ total: 1000, good: 500 })
    expect(refresh.budgetRemaining).toBeLessThan(-100)
  })

  it('time to detect runs from the first event of the evidence, not from the event that fired the rule', async () => {
    expect(bruteForce).toHaveLength(1)
    const [finding] = bruteForce
    const firstTs = (finding!.evidence as { first_ts?: number }).first_ts
    expect(firstTs).toBe(t0 - 15 * MIN)
    // Detected 2 s after the triggering event, but about 3 minutes after the first failure.
    const ttd = statusOf(await reader.statuses(tenant), 'time-to-detect')
    expect(ttd).toMatchObject({ total: 1, good: 0 })
  })

  it("time to detect leaves out findings on late data (a replay or backfill), not the detectors' delay", async () => {
    const finding = (id: string, ts: number, arrivedAt: number, detectedAt: number): Finding => ({
      finding_id: id,
      tenant: 'replayco',
      ts,
      detected_at: detectedAt,
      rule: 'identity.brute_force',
      severity: 'page',
      title: 'Brute force',
      summary: 'a user failed too often',
      entities: { principal: 'alice' },
      evidence: { arrived_at: arrivedAt },
    })
    await createFindingStore(client).write([
      // Three days old when it arrived: replayed, detected a second after arrival.
      finding('late', t0 - 3 * 24 * 60 * MIN, t0 - 10 * MIN, t0 - 10 * MIN + 1000),
      // Live: arrived 2 s after it happened, detected 3 s later.
      finding('live', t0 - 20 * MIN, t0 - 20 * MIN + 2000, t0 - 20 * MIN + 5000),
    ])
    const ttd = statusOf(await reader.statuses('replayco'), 'time-to-detect')
    expect(ttd).toMatchObject({ total: 1, good: 1 })
  })

  it('egress block rate leaves out declared destinations; without the allow list it burns for nothing', async () => {
    const declared = statusOf(await reader.statuses(tenant), 'egress-block-rate')
    expect(declared).toMatchObject({ total: 10, good: 9, objective: 0.9 })
    // The same flows with no declared egress: the partner feed's 50 allowed pulls read as misses.
    const bare = statusOf(await undeclaredReader.statuses(tenant), 'egress-block-rate')
    expect(bare).toMatchObject({ total: 60, good: 9 })
    expect(bare.budgetRemaining).toBeLessThan(-5)
  })

  it('time to revoke counts accepted uses of a revoked credential later than 5 minutes; a long-lived token makes them', async () => {
    const revoke = statusOf(await reader.statuses(tenant), 'time-to-revoke')
    // 5 accepted uses after the revocations (the use before and the refused one do not count), 2 of
    // them (the JWT's, 10 and 20 minutes after) late.
    expect(revoke).toMatchObject({ total: 5, good: 3, objective: 0.99 })
  })

  it('false deny rate counts the denies a rollback labels false: the pair the restored revision allows, not the scanner', async () => {
    const falseDenies = statusOf(await reader.statuses('globex'), 'false-deny-rate')
    // 30 false denies (web's order posts under v8) against 1,000 allows; the scanner's 5 + 5 denies stay true.
    expect(falseDenies).toMatchObject({ total: 1000, good: 970 })
  })

  it('the dashboards read the same counters: a refresh storm, latency and cache shares, posture, rollouts', async () => {
    const params = { tenant, from: t0 - 60 * MIN, to: t0, stepMs: 60 * MIN, limit: 100 }
    const [tokens] = await dashboardQueries.token_refresh_series(client, params)
    expect(tokens).toMatchObject({
      refresh_count: 1000,
      failed_refresh_count: 500,
      busiest_app: 'mobile-app',
    })
    const [decisions] = await dashboardQueries.decision_sli_series(client, params)
    expect(decisions).toMatchObject({ timed_count: 110, decision_count: 130 })
    expect(decisions!.within_50ms_ratio).toBeCloseTo(100 / 110, 9)
    expect(decisions!.cache_hit_ratio).toBeCloseTo(95 / 110, 9)
    const [posture] = await dashboardQueries.posture_series(client, params)
    expect(posture).toMatchObject({ check_count: 10, failure_count: 2, unknown_count: 5 })
    const [rollouts] = await dashboardQueries.rollout_series(client, params)
    expect(rollouts).toMatchObject({ rollout_count: 6, failed_rollout_count: 1, out_of_band_count: 1 })
    const [flows] = await dashboardQueries.flow_sli_series(client, params)
    expect(flows).toMatchObject({
      flow_count: 160,
      with_identity_ratio: 90 / 160,
      egress_count: 60,
      egress_blocked_count: 9,
    })
    const [detection] = await dashboardQueries.detection_series(client, params)
    expect(detection).toMatchObject({ finding_count: 1, within_60s_ratio: 0, within_15m_ratio: 1 })
  })
})
