import type { FlowEnd } from './hubble-flow-records.ts'
import { type Mesh, nodes, type Pod, serviceHost, spiffeIdOf, type Workload, workloadName } from './mesh.ts'
import type { NormalTraffic } from './normal-traffic.ts'
import type { OktaNetwork } from './okta-system-log-records.ts'
import { officeNetwork, type Person, vpnNetwork } from './people.ts'
import type { IndependentLabel } from './scenario-label.ts'
import { podEnd, type ScenarioRecorder } from './scenario-recorder.ts'
import type { SeededRandom } from './seeded-random.ts'

const minute = 60_000
const hour = 60 * minute

/** Names of a workload's pods, IPs and SPIFFE ID, for a label. */
const namesOf = (workload: Workload) => [
  workloadName(workload),
  `${workload.namespace}/${workload.serviceAccount}`,
  spiffeIdOf(workload),
  ...workload.pods.flatMap((pod) => [pod.name, pod.ip]),
]

const hosting = (
  ip: string,
  city: string,
  country: string,
  asNumber: number,
  asOrg: string,
): OktaNetwork => ({
  ip,
  city,
  state: '',
  country,
  postalCode: '',
  lat: 0,
  lon: 0,
  asNumber,
  asOrg,
  isp: asOrg,
  domain: '',
  isProxy: true,
})

const scriptDevice = (ua: string) => ({
  rawUserAgent: ua,
  browser: 'UNKNOWN',
  os: 'Unknown',
  device: 'Unknown' as const,
  fingerprint: 'a3f1c0de5b2e4c6d8f0a1b2c3d4e5f60',
})

/** The last day's incidents and confounders, written on top of its normal traffic. */
export class LastDay {
  readonly labels: IndependentLabel[] = []

  constructor(
    private readonly recorder: ScenarioRecorder,
    private readonly traffic: NormalTraffic,
    private readonly mesh: Mesh,
    private readonly people: Person[],
    private readonly random: SeededRandom,
    private readonly day: number,
  ) {}

  private person(login: string): Person {
    const person = this.people.find((candidate) => candidate.login === login)
    if (!person) throw new Error(`no person ${login}`)
    return person
  }

  private w(name: string): Workload {
    return this.traffic.workload(name)
  }

  /** People whose sign-ins the last day writes itself (their normal sign-in is left out). */
  static scriptedPeople = new Set([
    'priya.natarajan@northwind.example',
    'marco.rossi@northwind.example',
    'sofia.lindqvist@northwind.example',
    'it-admin@northwind.example',
  ])

  write(): void {
    this.passwordSpray(this.day + 10 * hour + 12 * minute)
    this.adminBruteForce(this.day + 11 * hour + 40 * minute)
    this.mfaFatigue(this.day + 13 * hour + 5 * minute)
    this.sessionHijack(this.day + 14 * hour + 50 * minute)
    this.lateralMovement(this.day + 14 * hour + 2 * minute)
    this.internalScan(this.day + 16 * hour + 30 * minute)
    this.exfiltration(this.day + 3 * hour + 10 * minute)
    this.plaintextBypass(this.day + 12 * hour + 20 * minute)
    this.denyingRollout(this.day + 10 * hour + 45 * minute)
    this.plannedRollout(this.day + 9 * hour + 30 * minute)
    this.vpnTravel(this.day + 7 * hour + 10 * minute)
    this.declaredSweep(this.day + 2 * hour)
    this.typoBurst(this.day + 9 * hour)
    this.certificateRotation(this.day + 16 * hour)
    // The administrator's ordinary morning (the brute force comes later).
    const admin = this.person('it-admin@northwind.example')
    this.traffic.activity.signIn(this.day + 7 * hour + 55 * minute, admin, officeNetwork(12), {
      apps: 2,
      spreadMs: 2 * hour,
    })
  }

  /** Identity, ticket: one hosting address tries one password against many logins, none succeeds. */
  private passwordSpray(start: number): void {
    const net = hosting('216.160.83.57', 'Milton', 'United States', 20473, 'hostfarm networks')
    const device = scriptDevice('python-requests/2.31.0')
    const targets = this.people.slice(2, 32)
    const ghosts = [
      'j.doe',
      'admin',
      'helpdesk',
      'finance',
      'hr',
      'support',
      'sales',
      'ceo',
      'billing',
      'dev',
      'ops',
      'security',
      'root',
      'test1',
      'guest',
    ].map((name) => `${name}@northwind.example`)
    let at = start
    const order = [...targets.map((person) => ({ person })), ...ghosts.map((login) => ({ login }))].sort(
      () => this.random.next() - 0.5,
    )
    for (const target of order) {
      if ('person' in target) this.traffic.activity.failedPassword(at, target.person, net, device)
      else this.traffic.activity.unknownUser(at, target.login, net, device)
      at += this.random.int(12_000, 24_000)
    }
    this.labels.push({
      id: 'identity.password-spray',
      kind: 'incident',
      expect: 'ticket',
      from: start,
      to: at,
      entities: [net.ip, ...targets.map((p) => p.login), ...ghosts],
      description: `password spray: ${order.length} logins (${ghosts.length} unknown) one attempt each from a hosting provider, none succeeds (attack attempt, no breach: ticket)`,
      records:
        'okta user.session.start FAILURE INVALID_CREDENTIALS / VERIFICATION_ERROR (actor.id unknown), securityContext.isProxy true, one client.ipAddress',
    })
  }

  /** Identity, page: an administrator's password guessed from two hosting addresses, Okta locks the account. */
  private adminBruteForce(start: number): void {
    const admin = this.person('it-admin@northwind.example')
    const nets = [
      hosting('175.16.199.20', 'Changchun', 'China', 4837, 'fast-vps hosting'),
      hosting('175.16.199.31', 'Changchun', 'China', 4837, 'fast-vps hosting'),
    ]
    const device = scriptDevice('Mozilla/5.0 (compatible; hydra)')
    let at = start
    for (let i = 0; i < 34; i++) {
      const net = nets[i % 2]!
      if (i === 10) this.traffic.activity.lockout(at - 300, admin, net, device)
      this.traffic.activity.failedPassword(
        at,
        admin,
        net,
        device,
        i >= 10 ? 'LOCKED_OUT' : 'INVALID_CREDENTIALS',
      )
      at += this.random.int(5_000, 11_000)
    }
    this.labels.push({
      id: 'identity.admin-brute-force',
      kind: 'incident',
      expect: 'page',
      from: start,
      to: at,
      entities: [admin.login, ...nets.map((n) => n.ip)],
      description:
        '34 password failures on the IdP administrator in ~4.5 min from two hosting addresses, lockout after 10 (privileged account under attack)',
      records:
        'okta user.session.start FAILURE INVALID_CREDENTIALS then LOCKED_OUT, user.account.lock, isProxy true',
    })
  }

  /** Identity, page: a stolen password, then push after push until the user accepts. */
  private mfaFatigue(start: number): void {
    const priya = this.person('priya.natarajan@northwind.example')
    // She is at work as usual in the morning.
    this.traffic.activity.signIn(this.day + 8 * hour + 2 * minute, priya, officeNetwork(21), {
      apps: 2,
      spreadMs: hour,
    })
    const net = hosting('89.248.165.74', 'Amsterdam', 'Netherlands', 202425, 'ip volume inc')
    const device = scriptDevice(
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    )
    const session = `102${this.random.hex(22)}`
    let at = start
    for (let i = 0; i < 11; i++) {
      this.traffic.activity.rejectedPush(at, priya, net, { ...device, device: 'Computer' }, session)
      at += this.random.int(35_000, 55_000)
    }
    const accepted = this.traffic.activity.signIn(at, priya, net, {
      apps: 3,
      spreadMs: 10 * minute,
      device: { ...device, device: 'Computer' },
      behaviors: {
        'New Geo-Location': 'POSITIVE',
        'New Device': 'POSITIVE',
        'New IP': 'POSITIVE',
        'New Country': 'POSITIVE',
        'New City': 'POSITIVE',
        'New State': 'POSITIVE',
      },
      risk: 'HIGH',
    })
    void accepted
    this.labels.push({
      id: 'identity.mfa-fatigue',
      kind: 'incident',
      expect: 'page',
      from: start,
      to: at + 10 * minute,
      entities: [priya.login, net.ip],
      description:
        '11 rejected Okta Verify pushes in 9 min from a new country, then an accepted one and SSO into three apps (account takeover)',
      records:
        'okta user.mfa.okta_verify.deny_push + user.authentication.auth_via_mfa FAILURE "User rejected Okta push verify", then SUCCESS with behaviors New Country=POSITIVE, risk HIGH',
    })
  }

  /** Identity, page: a session used from the office, then half an hour later from another continent. */
  private sessionHijack(start: number): void {
    const marco = this.person('marco.rossi@northwind.example')
    const session = this.traffic.activity.signIn(start, marco, officeNetwork(33), {
      apps: 1,
      spreadMs: 10 * minute,
    })
    const net = hosting('175.16.199.77', 'Changchun', 'China', 4837, 'fast-vps hosting')
    const device = {
      ...scriptDevice(
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      ),
      device: 'Computer' as const,
    }
    const replay = start + 30 * minute
    let at = replay
    for (const app of [
      'AWS IAM Identity Center',
      'GitHub Enterprise',
      'Google Workspace',
      'AWS IAM Identity Center',
    ]) {
      this.traffic.activity.sso(at, marco, net, device, session, app)
      at += this.random.int(40_000, 160_000)
    }
    this.labels.push({
      id: 'identity.session-replay',
      kind: 'incident',
      expect: 'page',
      from: replay,
      to: at,
      entities: [marco.login, net.ip],
      description:
        'impossible travel / token replay: SSO from Lisbon, 30 min later the same Okta session (externalSessionId) used from Changchun on a hosting network',
      records:
        'okta user.authentication.sso SUCCESS with the same authenticationContext.externalSessionId, new client.ipAddress/country, isProxy true',
    })
  }

  /** Lateral, page: the web frontend (compromised) tries the databases and services it never talks to. */
  private lateralMovement(start: number): void {
    const web = this.w('frontend/web')
    const pod = web.pods[0]!
    const from = podEnd(web, pod)
    let at = start
    const targets: { name: string; allowed: boolean }[] = [
      { name: 'data/postgres', allowed: false },
      { name: 'data/redis', allowed: false },
      { name: 'payments/ledger', allowed: false },
      { name: 'identity/user-profile', allowed: true },
      { name: 'shop/cart', allowed: true },
      { name: 'shop/catalog', allowed: true },
    ]
    for (const target of targets) {
      const server = this.w(target.name)
      const serverPod = server.pods[0]!
      for (let attempt = 0; attempt < 3; attempt++) {
        this.traffic.lookup(at, from, serviceHost(server), [server.clusterIp], web.namespace)
        if (!target.allowed) {
          const port = this.recorder.tcpConnection(at, from, podEnd(server, serverPod), server.port, {
            drop: 'POLICY_DENIED',
          })
          this.recorder.tcpSession(
            at,
            { workload: web, pod },
            { kind: 'mesh', workload: server, pod: serverPod },
            port,
            10_000,
            0,
            0,
            { flags: 'UF,URX', details: 'upstream_connect_timeout' },
          )
        } else {
          const port = this.recorder.tcpConnection(at, from, podEnd(server, serverPod), server.port, {
            closeMs: at + 4_000,
          })
          for (const path of ['/v1/admin/export', '/v1/internal/users', '/actuator/env']) {
            this.recorder.request({
              ms: at + this.random.int(10, 3000),
              client: { workload: web, pod },
              server,
              serverPod,
              method: 'GET',
              path,
              status: 404,
              flags: '-',
              details: 'via_upstream',
              connectionPort: port,
              userAgent: 'curl/8.5.0',
            })
          }
        }
        at += this.random.int(20_000, 60_000)
      }
    }
    this.labels.push({
      id: 'lateral.frontend-reaches-data',
      kind: 'incident',
      expect: 'page',
      from: start,
      to: at,
      entities: namesOf(web),
      description:
        'lateral movement: frontend/web (compromised) connects to postgres, redis and the ledger (denied by NetworkPolicy) and probes admin paths of cart, catalog and user-profile (allowed at L4, never declared)',
      records:
        'hubble DROPPED POLICY_DENIED SYN + retransmits (event_type 1/133), FORWARDED verdicts to shop/cart and shop/catalog; envoy outbound UF,URX TCP lines and 404 GETs with curl UA',
    })
  }

  /** Lateral, page: a service's pod sweeps the pod network on common ports. */
  private internalScan(start: number): void {
    const notification = this.w('platform/notification-svc')
    const pod = notification.pods[1] ?? notification.pods[0]!
    const from = podEnd(notification, pod)
    const ports = [22, 80, 443, 2379, 3306, 5432, 6379, 8080, 8443, 9090, 10250]
    const targets: { end: FlowEnd; workload?: Workload; pod?: Pod }[] = []
    for (const workload of this.mesh.workloads.values())
      for (const target of workload.pods)
        if (target !== pod) targets.push({ end: podEnd(workload, target), workload, pod: target })
    let at = start
    for (const target of targets) {
      for (const port of ports) {
        at += this.random.int(30, 250)
        const open = target.workload?.port === port
        // Only monitoring (and the unprotected parts of identity) have no default-deny ingress policy.
        const allowedByPolicy =
          target.workload?.namespace === 'monitoring' ||
          workloadName(target.workload!) === 'identity/user-profile'
        if (open && allowedByPolicy)
          this.recorder.tcpConnection(at, from, target.end, port, { closeMs: at + 30 })
        else if (allowedByPolicy) this.recorder.tcpConnection(at, from, target.end, port, { refused: true })
        else this.recorder.tcpConnection(at, from, target.end, port, { drop: 'POLICY_DENIED' })
      }
    }
    this.labels.push({
      id: 'lateral.internal-port-scan',
      kind: 'incident',
      expect: 'page',
      from: start,
      to: at,
      entities: namesOf(notification),
      description: `fan-out scan: platform/notification-svc sweeps ${targets.length} pods on ${ports.length} ports in ~${Math.round((at - start) / 60_000)} min (mostly dropped by policy, RST from closed ports)`,
      records:
        'hubble SYN drops POLICY_DENIED to many destinations/ports, RST,ACK replies (is_reply true) from closed ports in the own namespace',
    })
  }

  /** Egress, page: the ledger uploads a gigabyte to an unknown host at night. */
  private exfiltration(start: number): void {
    const ledger = this.w('payments/ledger')
    const pod = ledger.pods[0]!
    const host = 'dl.filedrop-share.example'
    const ip = '203.0.113.77'
    let at = start
    for (let chunk = 0; chunk < 18; chunk++) {
      this.traffic.egress(
        at,
        'payments/ledger',
        host,
        ip,
        true,
        60_000_000 + this.random.int(0, 9_000_000),
        pod,
      )
      at += this.random.int(60_000, 100_000)
    }
    this.labels.push({
      id: 'egress.ledger-exfiltration',
      kind: 'incident',
      expect: 'page',
      from: start,
      to: at + 20_000,
      entities: [...namesOf(ledger), ip, host],
      description:
        'exfiltration: payments/ledger sends ~1.1 GB in 18 TLS connections to an undeclared host through the passthrough cluster at 03:10',
      records:
        'envoy TCP lines upstream_cluster PassthroughCluster, requested_server_name = SNI, bytes_received ~60 MB each (the client sent), response_code 0; hubble to reserved:world TO_STACK; DNS query for the host',
    })
  }

  /** mTLS, page: a pod without a sidecar talks plaintext to a STRICT service that (drifted) accepts it. */
  private plaintextBypass(start: number): void {
    const debug: Workload = {
      namespace: 'default',
      app: 'debug-shell',
      serviceAccount: 'default',
      port: 0,
      protocol: 'http',
      sidecar: false,
      opa: false,
      identity: 48_211,
      clusterIp: 'None',
      pods: [{ name: 'debug-shell', ip: '10.42.2.199', node: nodes[2]!, endpointId: 2871 }],
    }
    const pod = debug.pods[0]!
    const profile = this.w('identity/user-profile')
    let at = start
    for (let i = 0; i < 60; i++) {
      const serverPod = profile.pods[i % profile.pods.length]!
      const port = this.recorder.tcpConnection(
        at,
        podEnd(debug, pod),
        podEnd(profile, serverPod),
        profile.port,
        { closeMs: at + 400 },
      )
      this.recorder.request({
        ms: at + 2,
        client: { workload: debug, pod },
        server: profile,
        serverPod,
        method: 'GET',
        path: `/v1/users?limit=500&offset=${i * 500}`,
        status: 200,
        connectionPort: port,
        mtls: false,
        userAgent: 'curl/8.5.0',
      })
      at += this.random.int(8_000, 22_000)
    }
    this.labels.push({
      id: 'mtls.plaintext-into-strict',
      kind: 'incident',
      expect: 'page',
      from: start,
      to: at,
      entities: [...namesOf(profile), 'default/debug-shell', 'debug-shell', pod.ip],
      description:
        'mesh bypass: a sidecar-less pod (kubectl run debug-shell) reads 30,000 user records in plaintext from identity/user-profile, whose declared mode is STRICT (the live policy drifted to PERMISSIVE)',
      records:
        'envoy inbound lines requested_server_name null, downstream_peer_uri_san null, downstream_remote_address the debug pod; hubble flows from an endpoint without security.istio.io/tlsMode',
    })
  }

  /** Policy, page: a new OPA bundle denies checkout's charges until it is rolled back. */
  private denyingRollout(start: number): void {
    const checkout = this.w('shop/checkout')
    const payments = this.w('payments/payment-svc')
    const end = start + 20 * minute
    for (let at = start; at < end; at += this.random.int(1_500, 4_000)) {
      const clientPod = this.traffic.pod(checkout)
      const serverPod = this.traffic.pod(payments)
      const port = this.recorder.tcpConnection(
        at,
        podEnd(checkout, clientPod),
        podEnd(payments, serverPod),
        payments.port,
        { closeMs: at + 30_000 },
      )
      this.recorder.request({
        ms: at + 1,
        client: { workload: checkout, pod: clientPod },
        server: payments,
        serverPod,
        method: 'POST',
        path: '/v1/charges',
        status: 201,
        connectionPort: port,
        opaAllowed: this.random.chance(0.1),
        bundleRevision: 'authz-2026.03.05-r118',
      })
    }
    this.labels.push({
      id: 'policy.bundle-denies-checkout',
      kind: 'incident',
      expect: 'page',
      from: start,
      to: end,
      entities: [...namesOf(payments), ...namesOf(checkout)],
      description:
        'false denies after a policy rollout: OPA bundle r118 denies ~90% of checkout → payment-svc charges for 20 min until rollback (service-impacting policy failure)',
      records:
        'opa-envoy-plugin decisions result.allowed false (http_status 403) with a new bundles.authz.revision; envoy inbound 403 UAEX ext_authz_denied, outbound 403',
    })
  }

  /** Confounder: a declared rollout adds an edge (reviews → redis cache). */
  private plannedRollout(start: number): void {
    const reviews = this.w('shop/reviews')
    const redis = this.w('data/redis')
    const end = start + 30 * minute
    for (let at = start; at < end + 4 * hour; at += this.random.int(20_000, 90_000)) {
      const pod = this.traffic.pod(reviews)
      this.traffic.connection(
        at,
        { from: 'shop/reviews', to: 'data/redis', weight: 1, requests: [] },
        { clientPod: pod },
      )
    }
    this.labels.push({
      id: 'benign.planned-rollout',
      kind: 'confounder',
      expect: 'none',
      from: start,
      to: end + 4 * hour,
      entities: [workloadName(reviews), workloadName(redis), ...reviews.pods.map((p) => p.name)],
      description:
        'reviews v2 rollout starts caching in redis: a new edge declared in PalisadeIntent changes (addsEdges) and allowed by the updated NetworkPolicy',
      records:
        'hubble FORWARDED verdicts shop/reviews → data/redis:6379, envoy TCP lines outbound|6379||redis.data.svc.cluster.local',
    })
  }

  /** Confounder: a user at home, then 90 min later on the corporate VPN whose POP is in Singapore. */
  private vpnTravel(start: number): void {
    const sofia = this.person('sofia.lindqvist@northwind.example')
    this.traffic.activity.signIn(start, sofia, sofia.home, { apps: 1, spreadMs: 20 * minute })
    const later = start + 90 * minute
    const vpn = vpnNetwork('Singapore')
    this.traffic.activity.signIn(later, sofia, vpn, {
      apps: 2,
      spreadMs: 2 * hour,
      behaviors: {
        'New Geo-Location': 'POSITIVE',
        'New IP': 'POSITIVE',
        'New Country': 'POSITIVE',
        'New City': 'POSITIVE',
        'New State': 'POSITIVE',
      },
      risk: 'MEDIUM',
    })
    this.labels.push({
      id: 'benign.vpn-travel',
      kind: 'confounder',
      expect: 'none',
      from: start,
      to: later + 2 * hour,
      entities: [sofia.login, vpn.ip, sofia.home.ip],
      description:
        'a travelling employee: home sign-in in Stockholm, then the corporate VPN (declared corporate egress) geolocated to Singapore',
      records:
        'okta user.session.start SUCCESS from a corporateEgress CIDR, behaviors New Country=POSITIVE, risk MEDIUM',
    })
  }

  /** Confounder: the declared nightly sweep of the blackbox exporter (every day; labelled on the last). */
  private declaredSweep(start: number): void {
    const blackbox = this.w('monitoring/blackbox-exporter')
    this.labels.push({
      id: 'benign.nightly-blackbox-sweep',
      kind: 'confounder',
      expect: 'none',
      from: start,
      to: start + 3 * minute,
      entities: namesOf(blackbox),
      description:
        'the declared monitoring prober connects to every service and to closed port 9999 (declared known drop); its plaintext connects meet STRICT sidecars',
      records:
        'hubble FORWARDED + DROPPED POLICY_DENIED from monitoring/blackbox-exporter; envoy inbound NR filter_chain_not_found, no SNI',
    })
  }

  /** Confounder: Monday-ish morning typos. */
  private typoBurst(start: number): void {
    const users = this.people.slice(5, 19)
    let last = start
    for (const [index, person] of users.entries()) {
      const at = start + this.random.int(0, 14 * minute)
      const network = officeNetwork(10 + index)
      const fails = index < 2 ? 3 : 1
      for (let i = 0; i < fails; i++)
        this.traffic.activity.failedPassword(at + i * 9_000, person, network, person.device)
      this.traffic.activity.signIn(at + fails * 9_000 + this.random.int(5_000, 25_000), person, network, {
        apps: 1,
        spreadMs: hour,
      })
      last = Math.max(last, at + 60_000)
    }
    this.labels.push({
      id: 'benign.morning-typos',
      kind: 'confounder',
      expect: 'none',
      from: start,
      to: last,
      entities: users.map((p) => p.login),
      description:
        '14 people mistype their password after the weekend (two of them three times) from the office, then sign in',
      records:
        'okta user.session.start FAILURE INVALID_CREDENTIALS from office IPs (corporate), followed by SUCCESS',
    })
  }

  /** Confounder: the mesh CA rotates; for ~40 s some handshakes fail and Envoy retries. */
  private certificateRotation(start: number): void {
    const shop = [...this.mesh.workloads.values()].filter((w) => w.namespace === 'shop')
    const bff = this.w('frontend/bff')
    for (let i = 0; i < 24; i++) {
      const at = start + this.random.int(0, 40_000)
      const server = this.random.pick(shop)
      const pod = this.traffic.pod(bff)
      this.recorder.request({
        ms: at,
        client: { workload: bff, pod },
        server,
        serverPod: this.traffic.pod(server),
        method: 'GET',
        path: '/v1/products',
        status: 503,
        flags: 'UF,URX',
        details:
          'upstream_reset_before_response_started{connection_failure,TLS_error:|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end}',
        connectionPort: this.recorder.ephemeralPort(),
        transportFailure:
          'TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end',
      })
    }
    this.labels.push({
      id: 'benign.mesh-cert-rotation',
      kind: 'confounder',
      expect: 'none',
      from: start,
      to: start + 40_000,
      entities: [...shop.map(workloadName), workloadName(bff)],
      description:
        'istiod rotates the mesh CA: 24 of the BFF’s calls into shop fail the TLS handshake in 40 s (CERTIFICATE_VERIFY_FAILED) and are retried',
      records:
        'envoy outbound 503 UF,URX with upstream_transport_failure_reason TLS_error CERTIFICATE_VERIFY_FAILED, no inbound line',
    })
  }
}
