import type { GeneratedRecord } from './demo-day.ts'
import { users, workloadByName } from './demo-mesh.ts'
import type { Random } from './random.ts'

// The demo's telemetry for the SLIs beyond sign-ins, flows and decisions: token refreshes per
// application (with a refresh storm when the incidents start), device posture checks from osquery,
// policy rollouts at the enforcement points (and one hand edit), and egress to external
// destinations (declared partner traffic allowed, undeclared attempts denied).

const minuteMs = 60_000
const tokenApps = ['web-portal', 'mobile-app'] as const
const enforcementPoints = ['frontend-envoy', 'payments-envoy', 'checkout-envoy', 'istio-ingressgateway']
const postureChecks = ['disk_encryption', 'os_version', 'edr_running'] as const
/** The partner inventory feed, declared egress in alerts/intent (192.0.2.0/24, port 443). */
const partnerFeed = '192.0.2.40'
/** An address nothing declares: what a compromised workload would try to reach. */
const undeclared = '198.18.7.21'

/** Options of {@link demoSliRecords}. */
export interface DemoSliMinute {
  minute: number
  /** Traffic level of the minute (see workdayLoad), times the demo's scale. */
  load: number
  /** Whether the mobile app's refresh storm is on this minute. */
  storm: boolean
}

/** One minute of token, posture, rollout and egress records. */
export function demoSliRecords(random: Random, { minute, load, storm }: DemoSliMinute): GeneratedRecord[] {
  const records: GeneratedRecord[] = []
  const at = () => minute + random.int(0, minuteMs - 1)

  for (const app of tokenApps) {
    const stormy = storm && app === 'mobile-app'
    const refreshes = random.poisson((stormy ? 60 : 4) * load)
    for (let n = 0; n < refreshes; n++) {
      const user = random.pick(users)
      records.push({
        kind: 'token',
        record: {
          event_id: `demo-token-${app}-${minute}-r${n}`,
          ts: at(),
          source: 'demo-keycloak',
          service: app,
          action: 'refresh',
          outcome: random.chance(stormy ? 0.4 : 0.0005) ? 'failure' : 'success',
          ...(stormy ? { reason: 'invalid_grant' } : {}),
          principal: user,
          client_id: app,
          credential_id: `rt-${app}-${users.indexOf(user)}`,
          grant_type: 'refresh_token',
        },
      })
    }
    const grants = random.poisson(load)
    for (let n = 0; n < grants; n++) {
      records.push({
        kind: 'token',
        record: {
          event_id: `demo-token-${app}-${minute}-g${n}`,
          ts: at(),
          source: 'demo-keycloak',
          service: app,
          action: 'grant',
          principal: random.pick(users),
          client_id: app,
          grant_type: 'authorization_code',
        },
      })
    }
    if (random.chance(0.05)) {
      const user = random.pick(users)
      const credential = `rt-${app}-${users.indexOf(user)}`
      const revokedAt = at()
      // The app keeps presenting it: the web portal's gateway introspects and refuses it within
      // seconds; the mobile app's API accepts its self-contained token until it expires (late uses).
      for (const [afterMs, outcome] of app === 'mobile-app'
        ? ([
            [20_000, 'success'],
            [8 * minuteMs, 'success'],
          ] as const)
        : ([
            [10_000, 'success'],
            [40_000, 'failure'],
          ] as const)) {
        records.push({
          kind: 'token',
          record: {
            event_id: `demo-token-${app}-${minute}-use-${afterMs}`,
            ts: revokedAt + afterMs,
            source: 'demo-api-gateway',
            service: app,
            action: 'use',
            outcome,
            client_id: app,
            credential_id: credential,
          },
        })
      }
      records.push({
        kind: 'token',
        record: {
          event_id: `demo-token-${app}-${minute}-revoke`,
          ts: revokedAt,
          source: 'demo-keycloak',
          service: app,
          action: 'revoke',
          principal: user,
          client_id: app,
          credential_id: credential,
        },
      })
    }
  }

  // Ten laptops report their checks every 5 minutes, a fifth of them each minute, so the agent
  // source reports on a minute's cadence like the others.
  const slot = Math.floor(minute / minuteMs) % 5
  users.slice(0, 10).forEach((user, index) => {
    if (index % 5 !== slot) return
    for (const check of postureChecks) {
      const roll = random.next()
      records.push({
        kind: 'posture',
        record: {
          event_id: `demo-posture-${index}-${check}-${minute}`,
          ts: minute + index * 500,
          source: 'demo-osquery',
          service: 'devices',
          device: `laptop-${String(index + 1).padStart(2, '0')}`,
          principal: user,
          check,
          outcome: roll < 0.002 ? 'fail' : roll < 0.01 ? 'unknown' : 'pass',
          agent: 'osquery',
        },
      })
    }
  })

  // Rollouts of the authz bundle every two hours, one enforcement point after the other.
  const minuteOfDay = Math.floor((minute % 86_400_000) / minuteMs)
  if (minuteOfDay % 120 === 30) {
    const revision = `bundle-${Math.floor(minute / 7_200_000)}`
    enforcementPoints.forEach((point, index) => {
      records.push({
        kind: 'policy_change',
        record: {
          event_id: `demo-rollout-${point}-${minute}`,
          ts: minute + index * 5_000,
          source: 'demo-argocd',
          service: point.replace(/-envoy$/, ''),
          policy_id: 'mesh.authz.bundle',
          revision,
          change_type: 'rollout',
          status: random.chance(0.03) ? 'failed' : 'applied',
          enforcement_point: point,
          actor: 'argocd/opa-bundles',
        },
      })
    })
  }
  if (minuteOfDay % 240 === 200 && random.chance(0.5)) {
    records.push({
      kind: 'policy_change',
      record: {
        event_id: `demo-hand-edit-${minute}`,
        ts: at(),
        source: 'demo-k8s-audit',
        service: 'payments',
        policy_id: 'payments-authz',
        revision: `manual-${minute}`,
        change_type: 'config',
        enforcement_point: 'payments-envoy',
        actor: 'kubectl-edit:ops@acme.example',
      },
    })
  }

  // Egress: payments pulls the partner feed (declared); now and then a workload tries an
  // undeclared address and the egress gateway denies it.
  const payments = workloadByName.get('payments')!
  const frontend = workloadByName.get('frontend')!
  const feeds = random.poisson(load)
  for (let n = 0; n < feeds; n++) {
    records.push({
      kind: 'flow',
      record: {
        event_id: `demo-egress-${minute}-${n}`,
        ts: at(),
        source: 'demo-hubble',
        service: 'payments',
        src_identity: `${payments.namespace}/${payments.name}`,
        src_ip: payments.ip,
        dst_ip: partnerFeed,
        src_port: random.int(32768, 60999),
        dst_port: 443,
        server_port: 443,
        is_reply: false,
        verdict: 'allowed',
        bytes_sent: random.int(500, 2_000),
        bytes_received: random.int(20_000, 90_000),
        packets: random.int(10, 80),
      },
    })
  }
  if (random.chance(0.1)) {
    records.push({
      kind: 'flow',
      record: {
        event_id: `demo-egress-denied-${minute}`,
        ts: at(),
        source: 'demo-hubble',
        service: 'frontend',
        src_identity: `${frontend.namespace}/${frontend.name}`,
        src_ip: frontend.ip,
        dst_ip: undeclared,
        src_port: random.int(32768, 60999),
        dst_port: 4444,
        server_port: 4444,
        is_reply: false,
        verdict: 'denied',
        packets: 1,
      },
    })
  }
  return records
}
