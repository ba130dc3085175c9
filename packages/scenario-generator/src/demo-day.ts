import { normalEdges, offices, spiffe, users, workloadByName } from './demo-mesh.ts'
import { demoSliRecords } from './demo-sli-telemetry.ts'
import { createRandom, type Random } from './random.ts'

/** A record in our native NDJSON schema, ready to POST to `/v1/ingest/<kind>`. */
export interface GeneratedRecord {
  kind: 'flow' | 'auth' | 'mtls' | 'decision' | 'policy_change' | 'token' | 'posture'
  record: Record<string, unknown> & { ts: number; event_id: string }
}

/** An injected incident and the label an evaluation checks findings and pages against. */
export interface IncidentLabel {
  id: string
  kind: 'lateral_movement' | 'auth_failure_burst' | 'token_refresh_storm'
  /** What should catch it: a rule id or an SLO name. */
  expected: string
  severity: 'page' | 'ticket'
  from: number
  to: number
  description: string
}

/** Options of {@link generateDemoTelemetry}. */
export interface DemoOptions {
  seed: number
  /** Event-time range to generate, epoch ms (whole minutes are generated). */
  from: number
  to: number
  /** When the injected incidents start, epoch ms (default: 12 minutes before `to`). */
  incidentAt?: number
  /** Length of the auth failure burst and of the token refresh storm, ms (default 10 min). */
  burstMs?: number
  /** Scale of the traffic (default 1: about 700 events per minute at the busiest hour). */
  scale?: number
}

const minuteMs = 60_000

/** Traffic level of a minute, 0.15 at night to 1 at the busiest hours of a working day (UTC). */
export function workdayLoad(ts: number): number {
  const hour = new Date(ts).getUTCHours() + new Date(ts).getUTCMinutes() / 60
  const day = Math.exp(-((hour - 13) ** 2) / 18)
  return 0.15 + 0.85 * day
}

function flowAndFriends(
  random: Random,
  ts: number,
  src: string,
  dst: string,
  port: number,
  id: string,
): GeneratedRecord[] {
  const source = workloadByName.get(src)!
  const destination = workloadByName.get(dst)!
  const srcId = spiffe(source.namespace, source.name)
  const dstId = spiffe(destination.namespace, destination.name)
  const records: GeneratedRecord[] = [
    {
      kind: 'flow',
      record: {
        event_id: `demo-flow-${id}`,
        ts,
        source: 'demo-hubble',
        service: dst,
        src_identity: srcId,
        dst_identity: dstId,
        src_ip: source.ip,
        dst_ip: destination.ip,
        src_port: random.int(32768, 60999),
        dst_port: port,
        protocol: 'tcp',
        verdict: 'allowed',
        bytes_sent: Math.round(random.logNormal(2_000, 1)),
        bytes_received: Math.round(random.logNormal(8_000, 1.2)),
        packets: random.int(4, 60),
        duration_ms: Math.round(random.logNormal(40, 0.8)),
      },
    },
    {
      kind: 'decision',
      record: {
        event_id: `demo-decision-${id}`,
        ts: ts + 1,
        source: 'demo-opa',
        service: dst,
        request_id: `req-${id}`,
        pdp: 'opa',
        enforcement_point: `${dst}-envoy`,
        src_identity: srcId,
        dst_identity: dstId,
        action: random.pick(['GET', 'GET', 'GET', 'POST']),
        resource: `/api/${dst}`,
        decision: random.chance(0.003) ? 'deny' : 'allow',
        policy_id: 'mesh.authz',
        policy_revision: 'rev-41',
        latency_ms: Math.round(random.logNormal(2.5, 0.6) * 100) / 100,
        cache_hit: random.chance(0.93),
      },
    },
  ]
  if (random.chance(0.3)) {
    records.push({
      kind: 'mtls',
      record: {
        event_id: `demo-mtls-${id}`,
        ts: ts - 2,
        source: 'demo-envoy',
        service: dst,
        src_identity: srcId,
        dst_identity: dstId,
        dst_port: port,
        mode: 'mutual',
        outcome: random.chance(0.0002) ? 'failure' : 'success',
        tls_version: 'TLSv1.3',
        handshake_ms: Math.round(random.logNormal(1.2, 0.4) * 100) / 100,
      },
    })
  }
  return records
}

function authAttempt(random: Random, ts: number, id: string, systemFailureRate: number): GeneratedRecord {
  const user = random.pick(users)
  const office = offices[users.indexOf(user) % offices.length]!
  const roll = random.next()
  const outcome =
    roll < systemFailureRate
      ? { outcome: 'failure', failure_kind: 'system', reason: 'idp_backend_unavailable' }
      : roll < systemFailureRate + 0.02
        ? { outcome: 'failure', failure_kind: 'user', reason: 'invalid_credentials' }
        : { outcome: 'success' }
  return {
    kind: 'auth',
    record: {
      event_id: `demo-auth-${id}`,
      ts,
      source: 'demo-okta',
      service: 'sso',
      principal: user,
      principal_type: 'user',
      method: random.pick(['password', 'mfa_push', 'oidc']),
      client_ip: `${office.ipPrefix}${(users.indexOf(user) % 200) + 10}`,
      country: office.country,
      city: office.city,
      ...outcome,
    },
  }
}

/**
 * A day of telemetry for the demo mesh, minute by minute, deterministic for a seed: flows with
 * their policy decisions and mTLS handshakes, and sign-ins following a working day's rhythm. Two
 * incidents are injected at `incidentAt`: a lateral movement (the frontend, compromised, reaches
 * the database directly) and a burst of IdP system failures that burns the auth SLO.
 */
export function generateDemoTelemetry(options: DemoOptions): {
  records: GeneratedRecord[]
  incidents: IncidentLabel[]
} {
  const random = createRandom(options.seed)
  const scale = options.scale ?? 1
  const incidentAt = options.incidentAt ?? options.to - 12 * minuteMs
  const burstEnd = incidentAt + (options.burstMs ?? 10 * minuteMs)
  const totalWeight = normalEdges.reduce((sum, [, , , weight]) => sum + weight, 0)
  const records: GeneratedRecord[] = []
  // Its own stream of draws, so that adding these records left the older kinds' records as they were.
  const sliRandom = createRandom(options.seed ^ 0x51_15)
  const start = Math.floor(options.from / minuteMs) * minuteMs
  for (let minute = start; minute < options.to; minute += minuteMs) {
    const load = workdayLoad(minute) * scale
    for (const [src, dst, port, weight] of normalEdges) {
      const count = random.poisson((weight / totalWeight) * 300 * load)
      for (let n = 0; n < count; n++) {
        const ts = minute + random.int(0, minuteMs - 10)
        records.push(...flowAndFriends(random, ts, src, dst, port, `${minute}-${src}-${dst}-${n}`))
      }
    }
    const inBurst = minute >= incidentAt && minute < burstEnd
    records.push(...demoSliRecords(sliRandom, { minute, load, storm: inBurst }))
    const authCount = random.poisson(60 * load)
    for (let n = 0; n < authCount; n++) {
      const ts = minute + random.int(0, minuteMs - 1)
      records.push(authAttempt(random, ts, `${minute}-${n}`, inBurst ? 0.3 : 0.0002))
    }
    if (minute <= incidentAt && incidentAt < minute + minuteMs) {
      // The compromised frontend probes the database it never talks to directly.
      records.push(
        ...flowAndFriends(random, incidentAt + 5_000, 'frontend', 'postgres', 5432, `${minute}-lateral`),
      )
    }
  }
  records.sort((a, b) => a.record.ts - b.record.ts)
  return {
    records,
    incidents: [
      {
        id: 'lateral-frontend-postgres',
        kind: 'lateral_movement',
        expected: 'lateral.new_edge',
        severity: 'page',
        from: incidentAt,
        to: incidentAt + minuteMs,
        description: 'frontend connects directly to postgres:5432, an edge never seen before',
      },
      {
        id: 'auth-idp-failure-burst',
        kind: 'auth_failure_burst',
        expected: 'auth-success',
        severity: 'page',
        from: incidentAt,
        to: burstEnd,
        description: '30% of sign-ins fail with IdP system errors for 10 minutes, burning the auth SLO',
      },
      {
        id: 'token-refresh-storm',
        kind: 'token_refresh_storm',
        expected: 'token-refresh',
        severity: 'page',
        from: incidentAt,
        to: burstEnd,
        description:
          'the mobile app refreshes tokens 15 times as often, 40% failing with invalid_grant, for 10 minutes',
      },
    ].filter((incident) => incident.from >= start && incident.from < options.to) as IncidentLabel[],
  }
}
