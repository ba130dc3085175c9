import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ClickHouseClient,
  createEventWriter,
  createFindingStore,
  createNotificationLedger,
  type FindingStore,
  migrate,
  migrationsDir,
  type NotificationRecord,
  openClickHouse,
} from '@palisade/clickhouse'
import {
  type Authenticator,
  closeServer,
  createMetricsRegistry,
  createServiceApp,
  createTokenAuthenticator,
  finishServiceApp,
  listen,
} from '@palisade/http-server'
import { type AnyEvent, type EventKind, type Finding, validateEvent } from '@palisade/schema'
import {
  type BudgetBurnDown,
  type BurnRatePoint,
  budgetRemaining,
  type SloStatus,
  type SloStatusSource,
  sloCoverage,
  timeToExhaustion,
} from '@palisade/slo'
import type { Router } from 'express'
import type { Registry } from 'prom-client'
import { TestHarnessError } from './errors.ts'
import { seedWafDecisions } from './waf-seed.ts'

/** Tokens of the two tenants the test server knows. */
export const testTokens = { acme: 'acme-token-5f0c2d9e7b41', globex: 'globex-token-a93e61c07d28' } as const

/** What the seeded store offers the dashboard's routes: the test passes the app's own route factory. */
export interface SeededDashboardStore {
  authenticator: Authenticator
  client: ClickHouseClient
  findings: FindingStore
  slos: SloStatusSource
  /** The server's registry, for the routes' counters. */
  metrics: Registry
}

/** A running dashboard over an embedded ClickHouse seeded with two tenants' data. */
export interface DashboardTestServer {
  base: string
  client: ClickHouseClient
  /** The clock the data was seeded around, epoch ms. */
  now: number
  /** The registry its routes count on. */
  metrics: Registry
  close(): Promise<void>
}

const MINUTE = 60_000
const id = (tenant: string, ns: string, name: string) => `spiffe://${tenant}.io/ns/${ns}/sa/${name}`
const acme = {
  frontend: id('acme', 'shop', 'frontend'),
  gateway: id('acme', 'edge', 'api-gateway'),
  payments: id('acme', 'shop', 'payments'),
  orders: id('acme', 'shop', 'orders'),
  inventory: id('acme', 'shop', 'inventory'),
  ledger: id('acme', 'finance', 'ledger'),
  postgres: id('acme', 'data', 'postgres'),
  kafka: id('acme', 'data', 'kafka'),
  legacy: id('acme', 'batch', 'legacy-batch'),
}
const globex = { billing: id('globex', 'apps', 'billing'), vault: id('globex', 'sec', 'vault') }

/** Deterministic noise in [0, 1): the same seed draws the same dashboard every run. */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453
  return x - Math.floor(x)
}

function event(kind: EventKind, tenant: string, record: Record<string, unknown>, now: number): AnyEvent {
  const result = validateEvent(kind, record, { tenant, observedAt: now })
  if (!result.ok) throw new TestHarnessError('HARNESS_MISUSED', `seed ${kind}: ${result.reason}`)
  return result.event
}

function seedEvents(now: number): Record<'flow' | 'auth' | 'mtls' | 'decision' | 'token', AnyEvent[]> {
  const token: AnyEvent[] = []
  const decision: AnyEvent[] = []
  const auth: AnyEvent[] = []
  const mtls: AnyEvent[] = []
  const flow: AnyEvent[] = []
  const services = [
    { name: 'api-gateway', base: 4, dst: acme.gateway },
    { name: 'payments', base: 9, dst: acme.payments },
    { name: 'orders', base: 6, dst: acme.orders },
  ]
  // Six hours, a sample every 2 minutes: the on-call dashboard's default range is full.
  for (let m = 0; m < 360; m += 2) {
    const ts = now - m * MINUTE - 5_000
    for (const [s, service] of services.entries()) {
      for (let i = 0; i < 4; i++) {
        const r = noise(m * 31 + s * 7 + i)
        // A latency regression on payments 20-30 minutes ago, and a deny burst with it.
        const slow = service.name === 'payments' && m >= 20 && m <= 30
        const denied = (slow && i < 2) || r > 0.99
        const failed = service.name === 'api-gateway' && m >= 50 && m <= 52 && i === 0
        decision.push(
          event(
            'decision',
            'acme',
            {
              ts: ts - i * 1000,
              service: service.name,
              request_id: `req-${m}-${s}-${i}`,
              pdp: 'opa',
              enforcement_point: 'envoy-sidecar',
              subject: denied ? `user:${['ann', 'bob', 'cy'][i % 3]}@acme.io` : 'user:svc-frontend',
              src_identity: acme.frontend,
              dst_identity: service.dst,
              action: i % 2 === 0 ? 'POST' : 'GET',
              resource: service.name === 'payments' ? '/v1/payments/refund' : `/v1/${service.name}/items`,
              decision: failed ? 'error' : denied ? 'deny' : 'allow',
              policy_id: denied ? `${service.name}.requires_mfa` : `${service.name}.default`,
              policy_revision: slow ? 'r42' : 'r41',
              latency_ms: service.base + r * 8 + (slow ? 60 + r * 40 : 0),
            },
            now,
          ),
        )
      }
    }
    for (let i = 0; i < 12; i++) {
      const systemFailure = m >= 40 && m <= 45 && i < 3
      const userFailure = !systemFailure && noise(m * 13 + i) > 0.9
      auth.push(
        event(
          'auth',
          'acme',
          {
            ts: ts - i * 2000,
            service: 'sso',
            principal: `user${i}@acme.io`,
            outcome: systemFailure || userFailure ? 'failure' : 'success',
            failure_kind: systemFailure ? 'system' : userFailure ? 'user' : undefined,
          },
          now,
        ),
      )
    }
    for (let i = 0; i < 6; i++) {
      const expired = m >= 10 && m <= 15 && i < 2
      mtls.push(
        event(
          'mtls',
          'acme',
          {
            ts: ts - i * 3000,
            service: 'orders',
            src_identity: acme.gateway,
            dst_identity: acme.orders,
            dst_port: 8080,
            mode: m === 32 && i === 0 ? 'plaintext' : 'mutual',
            outcome: expired ? 'failure' : 'success',
            reason: expired ? 'expired_cert' : undefined,
          },
          now,
        ),
      )
    }
  }
  // How each edge ran, as a mesh proxy would say (undefined: the source did not say). legacy-batch
  // talks plaintext; gateway → orders is mutual here, but a handshake above ran in plaintext.
  type Mtls = 'mutual' | 'plaintext' | undefined
  const edges: [string, string, number, number, 'allowed' | 'denied', Mtls][] = [
    [acme.frontend, acme.gateway, 8443, 30, 'allowed', 'mutual'],
    [acme.gateway, acme.payments, 8080, 20, 'allowed', 'mutual'],
    [acme.gateway, acme.orders, 8080, 20, 'allowed', 'mutual'],
    [acme.orders, acme.inventory, 8080, 10, 'allowed', 'mutual'],
    [acme.payments, acme.ledger, 9000, 8, 'allowed', 'mutual'],
    [acme.payments, acme.postgres, 5432, 12, 'allowed', 'mutual'],
    [acme.orders, acme.postgres, 5432, 12, 'allowed', 'mutual'],
    [acme.orders, acme.kafka, 9092, 6, 'allowed', undefined],
    [acme.legacy, acme.orders, 8080, 4, 'allowed', 'plaintext'],
    [acme.frontend, acme.postgres, 5432, 2, 'allowed', undefined],
    [acme.orders, acme.payments, 8081, 3, 'denied', 'mutual'],
  ]
  for (const [e, [src, dst, port, n, verdict, mtls]] of edges.entries()) {
    for (let i = 0; i < n; i++) {
      flow.push(
        event(
          'flow',
          'acme',
          {
            ts: now - Math.floor(noise(e * 101 + i) * 55 * MINUTE) - 1000,
            service: 'mesh',
            source: 'hubble',
            src_identity: src,
            dst_identity: dst,
            dst_port: port,
            verdict,
            bytes_sent: 1200 + i,
            bytes_received: 5400 + i,
            ...(mtls ? { mtls } : {}),
          },
          now,
        ),
      )
    }
  }
  flow.push(
    event(
      'flow',
      'globex',
      {
        ts: now - 3 * MINUTE,
        service: 'mesh',
        src_identity: globex.billing,
        dst_identity: globex.vault,
        dst_port: 8200,
      },
      now,
    ),
  )
  // OAuth refreshes as an IdP logs them (Okta's app.oauth2.token.grant with grant type
  // refresh_token): two applications, a refresh every couple of minutes, now and then a failure.
  for (let m = 0; m < 360; m += 2) {
    for (const [a, app] of ['web-portal', 'mobile'].entries()) {
      const failed = noise(m * 17 + a) > 0.95
      token.push(
        event(
          'token',
          'acme',
          {
            ts: now - m * MINUTE - 7_000,
            source: 'okta',
            service: app,
            action: 'refresh',
            outcome: failed ? 'failure' : 'success',
            principal: `user${m % 7}@acme.example`,
            client_id: `${app}-client`,
            credential_id: `rt-${app}-${m}`,
            grant_type: 'refresh_token',
            reason: failed ? 'invalid_grant' : undefined,
          },
          now,
        ),
      )
    }
  }
  return { flow, auth, mtls, decision, token }
}

/** The findings; the new edge cites the stored flow that opened it, as the detector's would. */
function seedFindings(now: number, newEdgeEventId: string): Finding[] {
  const finding = (
    tenant: string,
    n: string,
    minutesAgo: number,
    rest: Omit<Finding, 'finding_id' | 'tenant' | 'ts' | 'detected_at'>,
  ) => ({
    finding_id: `${tenant}-${n}`,
    tenant,
    ts: now - minutesAgo * MINUTE,
    detected_at: now - minutesAgo * MINUTE + 4_000,
    ...rest,
  })
  return [
    finding('acme', 'new-edge', 12, {
      rule: 'lateral.new_edge',
      severity: 'page',
      title: 'New edge frontend → postgres:5432',
      summary: `${acme.frontend} connected to ${acme.postgres} on 5432/tcp; not seen in the 14-day baseline`,
      entities: { src_identity: acme.frontend, dst_identity: acme.postgres, dst_port: '5432' },
      evidence: {
        event_ids: [newEdgeEventId],
        baseline_edges: 10,
        baseline_since: now - 14 * 24 * 60 * MINUTE,
        sensitive_service: true,
      },
    }),
    finding('acme', 'spray', 25, {
      rule: 'auth.password_spray',
      severity: 'page',
      title: 'Password spray against sso',
      summary: '41 failed logins for 37 distinct users from 203.0.113.7 in 5 minutes',
      entities: { client_ip: '203.0.113.7', service: 'sso' },
      evidence: { failures: 41, users: 37 },
    }),
    finding('acme', 'plaintext', 31, {
      rule: 'mtls.plaintext',
      severity: 'ticket',
      title: 'Plaintext connection where mTLS is STRICT',
      summary: `${acme.gateway} reached ${acme.orders}:8080 without mTLS`,
      entities: { src_identity: acme.gateway, dst_identity: acme.orders },
      evidence: { mode: 'plaintext' },
    }),
    finding('acme', 'deny-spike', 24, {
      rule: 'decision.deny_spike',
      severity: 'ticket',
      title: 'Deny spike after policy rollout r42',
      summary: 'payments denies rose from 6% to 50% within 2 minutes of rollout r42',
      entities: { service: 'payments', policy_id: 'payments.requires_mfa' },
      // The rollout's event is cited but was never stored here: the evidence view must say so.
      evidence: { before: 0.06, after: 0.5, rollout_event_ids: ['rollout-r42-not-stored'] },
    }),
    finding('acme', 'drift', 70, {
      rule: 'drift.policy_version',
      severity: 'info',
      title: 'Policy versions differ across enforcement points',
      summary: 'envoy-sidecar runs r41 while the gateway runs r42',
      entities: { policy_id: 'payments.requires_mfa' },
      evidence: { revisions: ['r41', 'r42'] },
    }),
    finding('globex', 'secret-edge', 3, {
      rule: 'lateral.new_edge',
      severity: 'page',
      title: 'New edge billing → vault:8200',
      summary: 'globex-only finding',
      entities: { src_identity: globex.billing, dst_identity: globex.vault, dst_port: '8200' },
      evidence: {},
    }),
  ]
}

function notifications(now: number): NotificationRecord[] {
  const row = (
    tenant: string,
    dedupKey: string,
    minutesAgo: number,
    fields: Pick<NotificationRecord, 'alertname' | 'severity' | 'receiver' | 'action' | 'summary'>,
  ): NotificationRecord => ({
    tenant,
    dedup_key: dedupKey,
    status: 'delivered',
    labels: { alertname: fields.alertname, severity: fields.severity },
    payload: '{}',
    attempts: 1,
    detail: '',
    recorded_at: now - minutesAgo * MINUTE,
    ...fields,
  })
  const page = { severity: 'page', receiver: 'pagerduty' }
  return [
    row('acme', 'k-old', 80, {
      ...page,
      alertname: 'PdpDown',
      action: 'trigger',
      summary: 'PDP unreachable',
    }),
    row('acme', 'k-old', 60, {
      ...page,
      alertname: 'PdpDown',
      action: 'resolve',
      summary: 'PDP unreachable',
    }),
    row('acme', 'k-mtls', 30, {
      severity: 'ticket',
      receiver: 'slack-sre',
      alertname: 'MtlsPlaintext',
      action: 'trigger',
      summary: 'Plaintext between api-gateway and orders',
    }),
    row('acme', 'k-spray', 24, {
      ...page,
      // Alerts raised from findings are named after the rule: the incident page finds them by it.
      alertname: 'auth.password_spray',
      action: 'trigger',
      summary: 'Password spray against sso from 203.0.113.7',
    }),
    row('acme', 'k-slo', 9, {
      ...page,
      alertname: 'AuthAvailabilityBurnRate',
      action: 'trigger',
      summary: 'sso burns its 30-day budget at 15× (1h) and 16× (5m)',
    }),
    row('globex', 'k-globex', 5, {
      ...page,
      alertname: 'GlobexOnly',
      action: 'trigger',
      summary: 'globex-only incident',
    }),
  ]
}

/** SLO statuses fixed for the test (the real source evaluates the rollups; another module owns it). */
export function fixedSloSource(now: number): SloStatusSource {
  const tiers = (burning: boolean): SloStatus['tiers'] => [
    { severity: 'page', threshold: 14.4, longWindow: '1h', shortWindow: '5m', firing: burning },
    { severity: 'page', threshold: 6, longWindow: '6h', shortWindow: '30m', firing: burning },
    { severity: 'ticket', threshold: 3, longWindow: '24h', shortWindow: '2h', firing: false },
    { severity: 'ticket', threshold: 1, longWindow: '3d', shortWindow: '6h', firing: burning },
  ]
  const windows = (rates: number[]) =>
    ['5m', '30m', '1h', '2h', '6h', '24h', '3d'].map((window, i) => ({
      window,
      windowMs: [5, 30, 60, 120, 360, 1440, 4320][i]! * MINUTE,
      good: 100_000 - Math.round(rates[i]! * 100),
      total: 100_000,
      burnRate: rates[i]!,
    }))
  const WINDOW_MS = 30 * 24 * 60 * MINUTE
  // Coverage and budget come from the real functions: the fixed part is the counts only.
  const slo = (
    name: string,
    coveredMs: number,
    rest: Omit<
      SloStatus,
      'name' | 'evaluatedAt' | 'good' | 'total' | 'window' | 'coverage' | 'budget' | 'budgetRemaining'
    >,
  ): SloStatus => {
    const total = 2_000_000
    const bad = total - Math.round(rest.sli * total)
    const remaining = budgetRemaining(bad, total, rest.objective)
    const current = rest.burnRates.find((b) => b.window === '1h')?.burnRate ?? 0
    const coverage = sloCoverage(WINDOW_MS, Math.floor(now / MINUTE) * MINUTE - coveredMs, now)
    return {
      name,
      window: '30d',
      good: total - bad,
      total,
      evaluatedAt: now,
      ...rest,
      budgetRemaining: remaining,
      coverage,
      budget: {
        over: coverage.complete ? 'window' : 'covered',
        allowedBad: (1 - rest.objective) * total,
        bad,
        currentBurnRate: current,
        currentBurnWindow: '1h',
        exhaustsInMs: timeToExhaustion(remaining, current, WINDOW_MS),
      },
    }
  }
  const statuses: SloStatus[] = [
    // Declared best first, so that the API's worst-first order is what puts auth first.
    slo('decision-latency', WINDOW_MS, {
      displayName: 'Decision latency p95 < 50 ms',
      service: 'payments',
      objective: 0.99,
      sli: 0.9962,
      burnRates: windows([0.4, 0.9, 2.1, 1.2, 0.5, 0.4, 0.38]),
      tiers: tiers(false),
    }),
    // Data for 8 hours only: the budget is over what is covered, and says so.
    slo('auth-availability', 8 * 60 * MINUTE, {
      displayName: 'Auth availability',
      service: 'sso',
      objective: 0.999,
      sli: 0.99871,
      burnRates: windows([16.2, 7.4, 15.1, 3.8, 6.3, 1.6, 1.29]),
      tiers: tiers(true),
    }),
  ]
  return {
    async statuses(tenant) {
      return tenant === 'acme' ? statuses : []
    },
    has(tenant, name) {
      return tenant === 'acme' && statuses.some((status) => status.name === name)
    },
    async burnRateSeries(tenant, name, range) {
      if (tenant !== 'acme') return []
      const points: BurnRatePoint[] = []
      for (let ts = range.from; ts <= range.to; ts += range.stepMs) {
        const minutesAgo = (now - ts) / MINUTE
        const burn =
          name === 'auth-availability'
            ? minutesAgo < 45 && minutesAgo > -1
              ? 2 + 14 * Math.exp(-((minutesAgo - 12) ** 2) / 300)
              : 0.6 + noise(ts / MINUTE) * 0.5
            : 0.3 + noise(ts / MINUTE) * 0.6 + (minutesAgo > 18 && minutesAgo < 32 ? 1.6 : 0)
        points.push({ ts, burnRate: Math.round(burn * 100) / 100 })
      }
      return points
    },
    async budgetBurnDown(_tenant, name) {
      const status = statuses.find((s) => s.name === name)
      const to = Math.floor(now / MINUTE) * MINUTE
      const from = to - WINDOW_MS
      const stepMs = 6 * 60 * MINUTE
      const burnDown: BudgetBurnDown = { slo: name, window: '30d', from, to, stepMs, points: [] }
      if (!status) return burnDown
      // Traffic spread evenly over the covered span, the bad events at the SLI's rate.
      const start = status.coverage.from ?? to
      for (let ts = from; ts <= to; ts += stepMs) {
        const share = ts <= start ? 0 : (ts - start) / (to - start)
        const total = Math.round(status.total * share)
        const bad = Math.round((status.total - status.good) * share)
        burnDown.points.push({
          ts,
          bad,
          total,
          budgetRemaining: budgetRemaining(bad, total, status.objective),
        })
      }
      return burnDown
    },
  }
}

/**
 * Open an embedded ClickHouse in a temporary folder, migrate it, seed tenants `acme` (a shop with
 * a new edge, a deny spike, a latency regression, incidents, WAF blocks) and `globex` (one edge, one finding),
 * and serve `routes` (the dashboard app's, passed in: a package never imports an app) on 127.0.0.1 at a
 * free port. For the integration and browser tests.
 */
export async function startDashboardTestServer(
  routes: (store: SeededDashboardStore) => Router,
  now = Date.now(),
): Promise<DashboardTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'palisade-dashboard-'))
  const client = await openClickHouse({ kind: 'embedded', dataDir })
  try {
    await migrate(client, { dir: migrationsDir })
    const writer = createEventWriter(client)
    const events = seedEvents(now)
    for (const [kind, batch] of Object.entries(events)) await writer.write(kind as EventKind, batch)
    // The shop's WAFs (AWS WAF at the edge, ModSecurity at the storefront), through their formats.
    await writer.write('decision', seedWafDecisions('acme', now))
    const newEdge = events.flow.find(
      (flow) =>
        'src_identity' in flow && flow.src_identity === acme.frontend && flow.dst_identity === acme.postgres,
    )
    if (!newEdge) throw new TestHarnessError('HARNESS_MISUSED', 'seed: the new edge has no flow')
    const findings = createFindingStore(client)
    await findings.write(seedFindings(now, newEdge.event_id))
    await createNotificationLedger(client).record(notifications(now))

    const authenticator = createTokenAuthenticator({ ...testTokens })
    const metrics = createMetricsRegistry({ app: 'dashboard-test' })
    const app = createServiceApp({ authenticator, metrics, ready: () => true })
    app.use(routes({ authenticator, client, findings, slos: fixedSloSource(now), metrics }))
    finishServiceApp(app, (error) => console.error(error))
    const server = await listen(app, 0)
    return {
      base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      client,
      now,
      metrics,
      async close() {
        await closeServer(server)
        await client.close()
        rmSync(dataDir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await client.close()
    rmSync(dataDir, { recursive: true, force: true })
    throw error
  }
}
