// The incidents of the last day, each with its label: lateral movement, attacks on identity, mTLS
// failures, policy regressions, egress leaks and a telemetry gap, spread over the working day so
// that no two share an entity at the same time. Magnitudes are deliberately clear.
import {
  egressConnection,
  failedMtlsRequest,
  httpRequest,
  type TrafficContext,
  tcpConnection,
  tlsStatSeries,
  workloadConnection,
} from './mesh-traffic.ts'
import { accountLock, type ClientOrigin, oktaStep, sessionId, signIn, userOrigin } from './okta-traffic.ts'
import { rolloutTimes } from './policy-timeline.ts'
import type { Random } from './random.ts'
import type { ScenarioLabel } from './scenario.ts'
import {
  type ExternalDestination,
  meshWorkload,
  meshWorkloads,
  networks,
  places,
  type ScenarioUser,
  scenarioTenant,
  scenarioUsers,
  unknownUserEmail,
} from './scenario-mesh.ts'
import { scrapeIntervalMs } from './scenario-sink.ts'

const minuteMs = 60_000
const hourMs = 60 * minuteMs

/** The people the last day's identity incidents and confounders are about. */
export const incidentUsers = {
  impossibleTraveller: scenarioUsers[3]!,
  bruteForced: scenarioUsers[35]!,
  mfaFatigued: scenarioUsers[12]!,
  vpnTraveller: scenarioUsers[7]!,
  flyer: scenarioUsers[20]!,
  sprayVictim: scenarioUsers[44]!,
  /** An Okta administrator (declared privileged in the PalisadeIntent file). */
  administrator: scenarioUsers[50]!,
}

/** Windows of the last day that also shape normal traffic (a lost decision log, failing handshakes). */
export function incidentWindows(lastDay: number) {
  const at = (hours: number, minutes = 0) => lastDay + hours * hourMs + minutes * minuteMs
  return {
    /** ledger-envoy's decision log is lost. */
    opaGap: { enforcementPoint: 'ledger-envoy', from: at(16, 30), to: at(17, 15) },
    /** Handshakes to payments fail after a bad certificate rotation. */
    handshakeFailures: { workload: 'payments/payments', from: at(16, 0), to: at(16, 5) },
    /** The certificate of identity/sso is re-issued by a misconfigured issuer, valid 5 days. */
    shortCertificate: at(8, 0),
    /** The declared deployment CHG-2031 of shop/checkout v2. */
    change: { from: at(10, 0), to: at(12, 0) },
  }
}

/** Helpers the incidents share. */
interface IncidentKit {
  context: TrafficContext
  random: Random
  at: (hours: number, minutes?: number, seconds?: number) => number
}

const origin = (
  ip: string,
  place: ClientOrigin['place'],
  network: ClientOrigin['network'],
  isProxy: boolean,
  userAgent: string,
): ClientOrigin => ({ ip, place, network, isProxy, userAgent })

/** 1. A compromised shop/catalog scans: 60 internal address:port pairs in 3 minutes, ~90% dropped. */
function fanOutScan({ context, random, at }: IncidentKit): ScenarioLabel {
  const catalog = meshWorkload('shop/catalog')
  const ports = [22, 80, 443, 2379, 3306, 5432, 6379, 8080, 8443, 27017]
  const targets = meshWorkloads
    .filter((workload) => workload !== catalog && workload.ref !== 'analytics/legacy-export')
    .flatMap((workload) => ports.map((port) => ({ workload, port, order: random.next() })))
    .sort((a, b) => a.order - b.order)
    .slice(0, 60)
  const from = at(9, 10)
  targets.forEach(({ workload, port }, index) => {
    const open = port === workload.port
    // Catalog's own database connection gets through, and now and then an open port its policy allows.
    const forwarded = (workload.ref === 'data/postgres' && port === 5432) || (open && index % 3 === 0)
    workloadConnection(
      context,
      from + index * 2_900 + random.int(0, 400),
      catalog,
      workload,
      port,
      forwarded ? 'FORWARDED' : 'DROPPED',
    )
  })
  return {
    id: 'lateral-fan-out-scan',
    category: 'lateral',
    rules: ['lateral.fan_out_scan'],
    severity: 'page',
    from,
    to: from + 3 * minuteMs,
    entity: 'shop/catalog',
    description:
      'shop/catalog connects to 60 internal address:port pairs in 3 minutes, about 90% dropped by policy (POLICY_DENIED)',
  }
}

/** 2. shop/frontend reads payments/ledger directly: forwarded and answered, though intent forbids it. */
function crossNamespace({ context, random, at }: IncidentKit): ScenarioLabel {
  const frontend = meshWorkload('shop/frontend')
  const ledger = meshWorkload('payments/ledger')
  const from = at(9, 40)
  for (let ts = from; ts < from + 30 * minuteMs; ts += random.int(30_000, 60_000)) {
    httpRequest(context, {
      ts,
      from: frontend,
      to: ledger,
      method: 'GET',
      path: random.chance(0.5) ? '/v1/entries?limit=500' : `/v1/accounts/${random.int(10_000, 99_999)}`,
      newConnection: random.chance(0.5),
      responseBytes: random.int(40_000, 180_000),
    })
  }
  return {
    id: 'lateral-cross-namespace',
    category: 'lateral',
    rules: ['lateral.cross_namespace'],
    severity: 'page',
    from,
    to: from + 30 * minuteMs,
    entity: 'shop/frontend',
    description:
      'shop/frontend calls payments/ledger:8443 (forwarded, HTTP 200), which NetworkPolicy and AuthorizationPolicy forbid',
  }
}

/** 3. shop/inventory: recon, denied requests to data/vault, then a successful connection to it. */
function postCompromiseChain({ context, random, at }: IncidentKit): ScenarioLabel {
  const inventory = meshWorkload('shop/inventory')
  const vault = meshWorkload('data/vault')
  const from = at(10, 30)
  const recon: [string, number, 'FORWARDED' | 'DROPPED'][] = [
    ['payments/payments', 8443, 'DROPPED'],
    ['payments/ledger', 8443, 'DROPPED'],
    ['data/vault', 8200, 'FORWARDED'],
    ['data/redis', 6379, 'DROPPED'],
    ['identity/sso', 8443, 'DROPPED'],
    ['shop/catalog', 8080, 'FORWARDED'],
    ['shop/cart', 8080, 'FORWARDED'],
    ['shop/checkout', 8080, 'DROPPED'],
    ['analytics/analytics-etl', 8080, 'DROPPED'],
    ['monitoring/prometheus', 9090, 'DROPPED'],
    ['shop/frontend', 8080, 'FORWARDED'],
  ]
  recon.forEach(([ref, port, verdict], index) => {
    workloadConnection(
      context,
      from + index * 25_000 + random.int(0, 5_000),
      inventory,
      meshWorkload(ref),
      port,
      verdict,
    )
  })
  const secrets = [
    '/v1/secret/data/payments/stripe',
    '/v1/secret/data/ledger/db',
    '/v1/secret/data/sso/signing-key',
    '/v1/secret/metadata/',
    '/v1/secret/data/payments/stripe',
    '/v1/secret/data/shop/inventory',
  ]
  let ts = at(10, 40)
  secrets.forEach((path, index) => {
    httpRequest(context, {
      ts,
      from: inventory,
      to: vault,
      method: 'GET',
      path,
      newConnection: index === 0,
      opaDeny: true,
    })
    ts += random.int(40_000, 70_000)
  })
  for (const path of [
    '/v1/sys/mounts',
    '/v1/auth/token/lookup-self',
    '/v1/sys/policies/acl',
    '/v1/identity/entity/id',
  ]) {
    httpRequest(context, {
      ts,
      from: inventory,
      to: vault,
      method: 'GET',
      path,
      newConnection: false,
      rbacDeny: true,
    })
    ts += random.int(20_000, 40_000)
  }
  const success = at(11, 5)
  httpRequest(context, {
    ts: success,
    from: inventory,
    to: vault,
    method: 'POST',
    path: '/v1/auth/kubernetes/login',
    newConnection: true,
    responseBytes: 740,
  })
  return {
    id: 'lateral-post-compromise-chain',
    category: 'lateral',
    rules: ['lateral.post_compromise_chain', 'risk.identity_score'],
    severity: 'page',
    from,
    to: success + 5 * minuteMs,
    entity: 'shop/inventory',
    description:
      'shop/inventory reaches 11 new destinations in 5 minutes (6 dropped), is denied 10 times by data/vault (6 OPA, 4 Istio RBAC), then logs in to data/vault:8200',
  }
}

/** A directory user for the sprays: anyone but the people the other incidents are about. */
function sprayTargets(random: Random, count: number, exclude: ReadonlySet<string>): ScenarioUser[] {
  return scenarioUsers
    .filter((user) => !exclude.has(user.email))
    .map((user) => ({ user, order: random.next() }))
    .sort((a, b) => a.order - b.order)
    .slice(0, count)
    .map(({ user }) => user)
}

const specialEmails = new Set(Object.values(incidentUsers).map((user) => user.email))
const scriptAgent = 'python-requests/2.31.0'

/** Password attempts that fail, spread over `[from, from + spanMs)`. */
function failedPasswords(
  kit: IncidentKit,
  users: readonly ScenarioUser[],
  from: number,
  spanMs: number,
  client: ClientOrigin,
): void {
  const { context, random } = kit
  users.forEach((user, index) => {
    const attempts = random.int(1, 2)
    for (let n = 0; n < attempts; n++) {
      oktaStep(context.sink, random, {
        ts: from + Math.floor(((index + n * 0.4) / users.length) * spanMs) + random.int(0, 8_000),
        eventType: 'user.session.start',
        result: 'FAILURE',
        reason: 'INVALID_CREDENTIALS',
        actor: user,
        origin: client,
        sessionId: sessionId(random),
      })
    }
  })
}

/** 4. Password spray: one address, 30 people, one or two attempts each, 20 minutes. */
function passwordSpray(kit: IncidentKit): ScenarioLabel {
  const ip = '45.155.205.233'
  const from = kit.at(8, 30)
  failedPasswords(
    kit,
    sprayTargets(kit.random, 30, specialEmails),
    from,
    19 * minuteMs,
    origin(ip, places.amsterdam, networks.hosting, false, scriptAgent),
  )
  return {
    id: 'identity-password-spray',
    category: 'identity',
    rules: ['identity.password_spray'],
    severity: 'page',
    from,
    to: from + 20 * minuteMs,
    entity: ip,
    description:
      '45.155.205.233 tries 30 directory users, 1-2 attempts each, in 20 minutes: all INVALID_CREDENTIALS',
  }
}

/** 5. Another spray of 25 people, then one of its guesses works. */
function successAfterSpray(kit: IncidentKit): ScenarioLabel {
  const ip = '193.32.162.77'
  const client = origin(ip, places.bucharest, networks.m247, false, scriptAgent)
  const from = kit.at(11, 30)
  failedPasswords(kit, sprayTargets(kit.random, 25, specialEmails), from, 20 * minuteMs, client)
  const success = kit.at(11, 52)
  signIn(kit.context.sink, kit.random, { ts: success, user: incidentUsers.sprayVictim, origin: client })
  return {
    id: 'identity-success-after-spray',
    category: 'identity',
    rules: ['identity.success_after_spray', 'identity.password_spray'],
    severity: 'page',
    from,
    to: success + minuteMs,
    entity: ip,
    description: `193.32.162.77 sprays 25 directory users (INVALID_CREDENTIALS), then signs in as ${incidentUsers.sprayVictim.email} (password and push)`,
  }
}

/**
 * Failed passwords of one person, as Okta records them: INVALID_CREDENTIALS until the account locks
 * (`user.account.lock` after `lockAfter` failures), LOCKED_OUT for every attempt after.
 */
function guessesUntilLocked(
  kit: IncidentKit,
  user: ScenarioUser,
  times: readonly number[],
  clients: readonly ClientOrigin[],
  lockAfter: number,
): void {
  const { context, random } = kit
  const session = sessionId(random)
  times.forEach((ts, n) => {
    const client = clients[n % clients.length]!
    oktaStep(context.sink, random, {
      ts,
      eventType: 'user.session.start',
      result: 'FAILURE',
      reason: n < lockAfter ? 'INVALID_CREDENTIALS' : 'LOCKED_OUT',
      actor: user,
      origin: client,
      sessionId: session,
    })
    if (n === lockAfter - 1)
      accountLock(context.sink, random, {
        ts: ts + random.int(5, 60),
        user,
        origin: client,
        sessionId: session,
      })
  })
}

/** 6. Brute force: 10 wrong passwords for one person from one address, the lockout, 15 more tries: 10 minutes. */
function bruteForce(kit: IncidentKit): ScenarioLabel {
  const user = incidentUsers.bruteForced
  const client = origin('103.151.124.9', places.hanoi, networks.vnpt, false, scriptAgent)
  const from = kit.at(13, 0)
  const times = Array.from({ length: 25 }, (_, n) => from + n * 23_000 + kit.random.int(0, 3_000))
  guessesUntilLocked(kit, user, times, [client], 10)
  return {
    id: 'identity-brute-force',
    category: 'identity',
    rules: ['identity.brute_force'],
    severity: 'ticket',
    from,
    to: from + 10 * minuteMs,
    entity: user.email,
    description: `${user.email}: 10 INVALID_CREDENTIALS from 103.151.124.9, locked out, then 15 LOCKED_OUT attempts, in 10 minutes`,
  }
}

/** 6b. An administrator brute-forced from two hosting-provider addresses: 34 tries in 4.6 minutes, locked after 10. */
function administratorBruteForce(kit: IncidentKit): ScenarioLabel {
  const user = incidentUsers.administrator
  const clients = [
    origin('45.155.205.99', places.amsterdam, networks.hosting, false, scriptAgent),
    origin('193.32.162.41', places.bucharest, networks.m247, false, scriptAgent),
  ]
  const from = kit.at(15, 40)
  const times = Array.from({ length: 34 }, (_, n) => from + n * 8_000 + kit.random.int(0, 1_500))
  guessesUntilLocked(kit, user, times, clients, 10)
  return {
    id: 'identity-privileged-brute-force',
    category: 'identity',
    rules: ['identity.privileged_account_attack', 'identity.brute_force'],
    severity: 'page',
    from,
    to: from + 5 * minuteMs,
    entity: user.email,
    description: `${user.email} (an Okta administrator, declared privileged): 34 failed sign-ins in 4.6 minutes from two hosting-provider addresses (AS206728, AS9009), locked out after 10`,
  }
}

/** 7. Credential stuffing: 60 proxy addresses, 80 names the directory does not have, 30 minutes. */
function credentialStuffing({ context, random, at }: IncidentKit): ScenarioLabel {
  const prefixes = ['185.107.56.', '91.219.237.', '45.134.140.', '146.70.117.']
  const proxies = Array.from({ length: 60 }, (_, index) =>
    origin(
      `${prefixes[index % prefixes.length]}${((index * 37) % 240) + 10}`,
      index % 2 === 0 ? places.amsterdam : places.bucharest,
      index % 3 === 0 ? networks.hosting : networks.m247,
      true,
      scriptAgent,
    ),
  )
  const from = at(14, 0)
  const attempts = Array.from({ length: 80 }, (_, index) => index).concat(
    Array.from({ length: 24 }, (_, index) => (index * 7) % 80),
  )
  attempts.forEach((userIndex, index) => {
    oktaStep(context.sink, random, {
      ts: from + Math.floor((index / attempts.length) * 29 * minuteMs) + random.int(0, 10_000),
      eventType: 'user.session.start',
      result: 'FAILURE',
      // What Okta logs for a name it does not know (the actor is `unknown`).
      reason: 'VERIFICATION_ERROR',
      actor: { unknown: unknownUserEmail(userIndex) },
      origin: proxies[index % proxies.length]!,
      sessionId: sessionId(random),
    })
  })
  return {
    id: 'identity-credential-stuffing',
    category: 'identity',
    rules: ['identity.credential_stuffing'],
    severity: 'page',
    from,
    to: from + 30 * minuteMs,
    // Many sources, many users: the incident is the tenant's identity provider as a whole.
    entity: scenarioTenant,
    description:
      '104 sign-ins for 80 names not in the directory (VERIFICATION_ERROR) from 60 addresses Okta flags as proxies, in 30 minutes',
  }
}

/** 8. Impossible travel: Berlin, then São Paulo 40 minutes later, not through the VPN. */
function impossibleTravel({ context, random, at }: IncidentKit): ScenarioLabel {
  const user = incidentUsers.impossibleTraveller
  const from = at(7, 30)
  signIn(context.sink, random, { ts: from, user, origin: userOrigin(user, 'office', random) })
  const second = at(8, 10)
  signIn(context.sink, random, {
    ts: second,
    user,
    origin: origin(
      '177.72.120.50',
      places.saoPaulo,
      networks.claro,
      false,
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
    ),
  })
  return {
    id: 'identity-impossible-travel',
    category: 'identity',
    rules: ['identity.impossible_travel'],
    severity: 'page',
    // The incident is the second sign-in: until it happens, nothing has travelled.
    from: second,
    to: second + 2 * minuteMs,
    entity: user.email,
    description: `${user.email} signs in from Berlin, then 40 minutes later from São Paulo (177.72.120.50, AS28573)`,
  }
}

/** 9. MFA fatigue: eight rejected pushes in ten minutes, then one accepted. */
function mfaFatigue({ context, random, at }: IncidentKit): ScenarioLabel {
  const user = incidentUsers.mfaFatigued
  const client = origin(
    '45.155.205.240',
    places.amsterdam,
    networks.hosting,
    false,
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  )
  const from = at(15, 0)
  let ts = from
  for (let n = 0; n < 9; n++) {
    const session = sessionId(random)
    const accepted = n === 8
    oktaStep(context.sink, random, {
      ts,
      eventType: 'user.session.start',
      result: 'SUCCESS',
      actor: user,
      origin: client,
      sessionId: session,
    })
    oktaStep(context.sink, random, {
      ts: ts + random.int(20_000, 40_000),
      eventType: 'user.authentication.auth_via_mfa',
      result: accepted ? 'SUCCESS' : 'FAILURE',
      ...(accepted ? {} : { reason: 'User rejected Okta push verify' }),
      actor: user,
      origin: client,
      sessionId: session,
      factor: 'OKTA_VERIFY_PUSH',
    })
    ts += random.int(65_000, 80_000)
  }
  return {
    id: 'identity-mfa-fatigue',
    category: 'identity',
    rules: ['identity.mfa_fatigue'],
    severity: 'page',
    from,
    to: ts,
    entity: user.email,
    description: `${user.email} rejects 8 Okta Verify pushes in 10 minutes (from 45.155.205.240), then accepts the 9th`,
  }
}

/** 10. A new sidecar-less workload talks plaintext to data/postgres, where mTLS is STRICT. */
function plaintextInStrict({ context, random, at }: IncidentKit): ScenarioLabel {
  const legacy = meshWorkload('analytics/legacy-export')
  const postgres = meshWorkload('data/postgres')
  const from = at(12, 0)
  for (let ts = from; ts < from + hourMs; ts += random.int(15_000, 25_000)) {
    tcpConnection(context, {
      ts,
      from: legacy,
      to: postgres,
      bytesUp: random.int(400, 1_200),
      bytesDown: random.int(200_000, 900_000),
      durationMs: random.int(800, 4_000),
    })
  }
  return {
    id: 'mtls-plaintext-in-strict',
    category: 'mtls',
    rules: ['mtls.plaintext_in_strict'],
    severity: 'page',
    from,
    to: from + hourMs + scrapeIntervalMs,
    entity: 'analytics/legacy-export',
    // Istio's metrics name no source for plaintext traffic: only the destination it reached.
    aliases: ['data/postgres'],
    description:
      'analytics/legacy-export (no sidecar) connects to data/postgres:5432 in plaintext (connection_security_policy none) for an hour, where PeerAuthentication is STRICT',
  }
}

/** 11. After a bad certificate rotation, handshakes to payments/payments fail: ~300 in 5 minutes. */
function handshakeFailureBurst(kit: IncidentKit, window: { from: number; to: number }): ScenarioLabel {
  const { context, random } = kit
  const checkout = meshWorkload('shop/checkout')
  const payments = meshWorkload('payments/payments')
  // Checkout keeps retrying its charges and every connection attempt fails verification; Istio's
  // default route retries a connect failure twice, so each third failed handshake ends a request
  // that checkout's sidecar logs (503 UF,URX).
  let attempt = 0
  for (let ts = window.from; ts < window.to; ts += random.int(600, 1_400)) {
    workloadConnection(context, ts, checkout, payments, payments.port, 'FORWARDED')
    context.sink.increment(tlsStatSeries(payments, 'fail_verify_error'), ts)
    if (++attempt % 3 === 0)
      failedMtlsRequest(context, {
        ts,
        from: checkout,
        to: payments,
        port: payments.port,
        method: 'POST',
        path: '/v1/charges',
      })
  }
  return {
    id: 'mtls-handshake-failure-burst',
    category: 'mtls',
    rules: ['mtls.handshake_failure_burst'],
    severity: 'page',
    from: window.from,
    // Checkout's sidecar logs each failed request at once; the 5-minute scrape after the burst reports its end.
    to: window.to + scrapeIntervalMs,
    entity: 'payments/payments',
    // Envoy's TLS stats and the client's failed-request lines name the service, not a workload identity.
    aliases: ['payments.payments.svc.cluster.local'],
    description:
      "after a bad certificate rotation about 300 mTLS handshakes to payments/payments fail verification (fail_verify_error) in 5 minutes; checkout's sidecar logs its requests 503 UF,URX with CERTIFICATE_VERIFY_FAILED",
  }
}

/** 12. identity/sso's certificate, re-issued by a misconfigured issuer, expires in 5 days. */
function certificateExpiry(at: number): ScenarioLabel {
  return {
    id: 'mtls-cert-expiry',
    category: 'mtls',
    rules: ['mtls.cert_expiry'],
    severity: 'ticket',
    from: at,
    to: at + hourMs,
    entity: 'identity/sso',
    description:
      "identity/sso's serving certificate is re-issued valid for 5 days only (cert_not_after in the mtls certificate reports)",
  }
}

/** 13 and 14: the rollout rev-41 → rev-42 regresses checkout's charges; cart-envoy stays behind. */
function rolloutLabels(lastDay: number): ScenarioLabel[] {
  const times = rolloutTimes(lastDay)
  return [
    {
      id: 'policy-deny-spike-after-rollout',
      category: 'policy',
      rules: ['policy.deny_spike_after_rollout'],
      severity: 'page',
      from: times.regression,
      to: times.fix,
      entity: 'payments-envoy',
      description:
        'bundle rev-42 (rolled out 13:30) denies shop/checkout → payments POST /v1/charges, allowed all week: hundreds of denies at payments-envoy until rev-43 at 14:30',
    },
    {
      id: 'policy-version-skew',
      category: 'policy',
      rules: ['policy.version_skew'],
      severity: 'ticket',
      from: times.regression,
      to: times.skewEnd,
      entity: 'cart-envoy',
      description:
        'cart-envoy stays on bundle rev-41 for 2 hours while every other enforcement point runs rev-42, then rev-43',
    },
  ]
}

/** 15. shop/cart calls shop/checkout:8080 all day, which NetworkPolicy does not allow (only frontend may). */
function drift({ context, random, at }: IncidentKit): ScenarioLabel {
  const cart = meshWorkload('shop/cart')
  const checkout = meshWorkload('shop/checkout')
  const from = at(8, 0)
  for (let ts = from + random.int(0, 60_000); ts < at(18, 0); ts += random.int(8, 16) * minuteMs) {
    httpRequest(context, {
      ts,
      from: cart,
      to: checkout,
      method: 'GET',
      path: `/api/v1/checkout/${random.int(10_000, 99_999)}/status`,
      newConnection: random.chance(0.5),
    })
  }
  return {
    id: 'policy-drift-cart-checkout',
    category: 'policy',
    rules: ['policy.drift'],
    severity: 'ticket',
    from,
    to: at(18, 0),
    entity: 'shop/cart',
    description:
      'shop/cart → shop/checkout:8080 is forwarded and answered every 8-16 minutes, though NetworkPolicy allows only shop/frontend → shop/checkout',
  }
}

/** 16. shop/checkout connects to an undeclared external address on 443, never seen before. */
function newExternalDestination({ context, random, at }: IncidentKit): ScenarioLabel {
  const checkout = meshWorkload('shop/checkout')
  const destination: ExternalDestination = { ip: '45.133.1.20', port: 443 }
  const from = at(16, 40)
  for (let n = 0; n < 3; n++) {
    egressConnection(context, {
      ts: from + n * 3 * minuteMs + random.int(0, 20_000),
      from: checkout,
      to: destination,
      bytesUp: random.int(2_000, 6_000),
      bytesDown: random.int(1_000, 4_000),
      durationMs: random.int(200, 900),
    })
  }
  return {
    id: 'egress-new-external-destination',
    category: 'egress',
    rules: ['egress.new_external_destination'],
    severity: 'ticket',
    from,
    to: from + 10 * minuteMs,
    entity: 'shop/checkout',
    description: 'shop/checkout connects to 45.133.1.20:443 (undeclared, never seen before), 3 times',
  }
}

/** 17. analytics/analytics-etl uploads ~2 GB to an unknown address in 30 minutes. */
function exfiltration({ context, random, at }: IncidentKit): ScenarioLabel {
  const etl = meshWorkload('analytics/analytics-etl')
  const destination: ExternalDestination = { ip: '185.220.101.47', port: 443, host: 'files.bkp-sync.net' }
  const from = at(17, 0)
  for (let n = 0; n < 20; n++) {
    egressConnection(context, {
      ts: from + n * 85_000 + random.int(0, 10_000),
      from: etl,
      to: destination,
      bytesUp: random.int(95_000_000, 110_000_000),
      bytesDown: random.int(20_000, 60_000),
      durationMs: random.int(70_000, 84_000),
    })
  }
  return {
    id: 'egress-exfiltration',
    category: 'egress',
    rules: ['egress.exfiltration_volume'],
    severity: 'page',
    from,
    to: from + 30 * minuteMs,
    entity: 'analytics/analytics-etl',
    // The upload's bytes are in the sidecar's outbound access log, which names only the pod IP.
    aliases: [etl.ip],
    description:
      'analytics/analytics-etl uploads about 2 GB to 185.220.101.47:443 (files.bkp-sync.net) in 30 minutes; its baseline is a few MB a day to the declared partner',
  }
}

/** 18. ledger-envoy's decision log goes silent for 45 minutes while traffic goes on. */
function telemetryGap(window: { enforcementPoint: string; from: number; to: number }): ScenarioLabel {
  return {
    id: 'telemetry-source-gap',
    category: 'telemetry',
    rules: ['telemetry.source_gap'],
    severity: 'ticket',
    from: window.from,
    to: window.to,
    entity: window.enforcementPoint,
    description:
      "ledger-envoy's OPA decision log is silent for 45 minutes while payments/ledger keeps serving and every other enforcement point keeps reporting",
  }
}

/** The last day's incidents, written into the streams, with their labels. */
export function lastDayIncidents(context: TrafficContext, lastDay: number): ScenarioLabel[] {
  const kit: IncidentKit = {
    context,
    random: context.random,
    at: (hours, minutes = 0, seconds = 0) => lastDay + hours * hourMs + minutes * minuteMs + seconds * 1_000,
  }
  const windows = incidentWindows(lastDay)
  return [
    fanOutScan(kit),
    crossNamespace(kit),
    postCompromiseChain(kit),
    passwordSpray(kit),
    successAfterSpray(kit),
    bruteForce(kit),
    administratorBruteForce(kit),
    credentialStuffing(kit),
    impossibleTravel(kit),
    mfaFatigue(kit),
    plaintextInStrict(kit),
    handshakeFailureBurst(kit, windows.handshakeFailures),
    certificateExpiry(windows.shortCertificate),
    ...rolloutLabels(lastDay),
    drift(kit),
    newExternalDestination(kit),
    exfiltration(kit),
    telemetryGap(windows.opaGap),
  ]
}
