import type { FlowEnd } from './hubble-flow-records.ts'
import {
  declaredEgress,
  type Mesh,
  type MeshEdge,
  nodeIps,
  nodes,
  type Pod,
  serviceHost,
  type Workload,
} from './mesh.ts'
import { OktaActivity, officeNetwork, type Person } from './people.ts'
import { podEnd, type ScenarioRecorder } from './scenario-recorder.ts'
import type { SeededRandom } from './seeded-random.ts'

const minute = 60_000
const hour = 60 * minute

/** Share of peak traffic at an hour of the day (UTC, the shop's customers are in Europe). */
function dailyCurve(hourOfDay: number): number {
  return 0.12 + 0.88 * Math.max(0, Math.sin(((hourOfDay - 5) / 19) * Math.PI)) ** 1.5
}

/** The gateway's customers: public addresses and browsers. */
const customerAgents = [
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
]

/** Writes the mesh's everyday traffic and the people's everyday sign-ins. */
export class NormalTraffic {
  private readonly okta: OktaActivity
  private readonly totalWeight: number
  private readonly housekeepingMinutes: number

  constructor(
    private readonly recorder: ScenarioRecorder,
    private readonly mesh: Mesh,
    private readonly people: Person[],
    private readonly random: SeededRandom,
    /** Connections a minute at the daily peak. */
    private readonly peakConnectionsPerMinute: number,
  ) {
    this.okta = new OktaActivity(recorder, random)
    // Scrapes and probes every 10 min at full size; a small scenario thins them like the rest.
    this.housekeepingMinutes = Math.min(120, Math.max(10, Math.round(110 / peakConnectionsPerMinute)))
    this.totalWeight = mesh.edges.reduce((sum, edge) => sum + edge.weight, 0)
  }

  workload(name: string): Workload {
    const workload = this.mesh.workloads.get(name)
    if (!workload) throw new Error(`no workload ${name} in the mesh`)
    return workload
  }

  pod(workload: Workload): Pod {
    return this.random.pick(workload.pods)
  }

  private coredns() {
    return { workload: this.mesh.coredns, pod: this.random.pick(this.mesh.coredns.pods) }
  }

  /** A resolver lookup as the pod's resolver does it (ndots:5: the search domains first, sometimes). */
  lookup(ms: number, client: FlowEnd, host: string, ips: string[], namespace: string): void {
    if (!host.endsWith('.svc.cluster.local') && this.random.chance(0.5))
      this.recorder.dns(ms - 3, client, this.coredns(), `${host}.${namespace}.svc.cluster.local.`, [])
    this.recorder.dns(ms - 1.5, client, this.coredns(), `${host}.`, ips)
  }

  private pickEdge(): MeshEdge {
    let roll = this.random.next() * this.totalWeight
    for (const edge of this.mesh.edges) {
      roll -= edge.weight
      if (roll <= 0) return edge
    }
    return this.mesh.edges[this.mesh.edges.length - 1]!
  }

  /** One client connection over a mesh edge and the requests it carries. */
  connection(ms: number, edge: MeshEdge, options: { clientPod?: Pod; bundleRevision?: string } = {}): void {
    const client = this.workload(edge.from)
    const server = this.workload(edge.to)
    const clientPod = options.clientPod ?? this.pod(client)
    const serverPod = this.pod(server)
    const clientEnd = podEnd(client, clientPod)
    if (this.random.chance(0.3))
      this.lookup(ms, clientEnd, serviceHost(server), [server.clusterIp], client.namespace)
    const requests = server.protocol === 'tcp' ? 0 : this.random.int(1, 6)
    const spanMs =
      server.protocol === 'tcp' ? this.random.int(200, 90_000) : requests * this.random.int(80, 6_000)
    const closeMs = ms + spanMs + this.random.int(5_000, 60_000)
    // Cilium's mutual authentication on the payments namespace: a new identity pair's first SYN waits.
    const authFirst = server.namespace === 'payments' && this.random.chance(0.06)
    const port = this.recorder.tcpConnection(ms, clientEnd, podEnd(server, serverPod), server.port, {
      closeMs,
      authFirst,
    })
    const start = ms + (authFirst ? 1000 : 1.2)
    if (server.protocol === 'tcp') {
      const sent = this.random.int(400, 90_000)
      this.recorder.tcpSession(
        start,
        { workload: client, pod: clientPod },
        { kind: 'mesh', workload: server, pod: serverPod },
        port,
        closeMs - start,
        sent,
        sent * this.random.int(1, 30),
      )
      return
    }
    const viaGateway =
      client.app === 'istio-ingressgateway'
        ? {
            ip: `${this.random.pick(['85.240', '2.80', '89.160', '81.2', '31.13'])}.${this.random.int(1, 254)}.${this.random.int(1, 254)}`,
            port: this.recorder.ephemeralPort(),
            userAgent: this.random.pick(customerAgents),
          }
        : undefined
    if (viaGateway)
      this.recorder.tcpConnection(
        ms - 2,
        { kind: 'world', ip: viaGateway.ip },
        podEnd(client, clientPod),
        8080,
        { clientPort: viaGateway.port, closeMs: closeMs + 5, policyVerdict: true },
      )
    let at = start
    for (let i = 0; i < requests; i++) {
      const shape = this.random.pick(edge.requests)
      const roll = this.random.next()
      const failure =
        roll < 0.004
          ? {
              status: 503,
              flags: 'UF,URX',
              details: 'upstream_reset_before_response_started{connection_termination}',
            }
          : roll < 0.012
            ? { status: 404, flags: '-', details: 'via_upstream' }
            : roll < 0.014
              ? {
                  status: 503,
                  flags: 'UC',
                  details: 'upstream_reset_before_response_started{connection_termination}',
                }
              : {
                  status: shape.method === 'POST' && server.app !== 'auth' ? 201 : 200,
                  flags: '-',
                  details: 'via_upstream',
                }
      this.recorder.request({
        ms: at,
        client: { workload: client, pod: clientPod },
        server,
        serverPod,
        method: shape.method,
        path: shape.path,
        status: failure.status,
        flags: failure.flags,
        details: failure.details,
        connectionPort: port,
        ...(viaGateway ? { viaGateway } : {}),
        ...(options.bundleRevision ? { bundleRevision: options.bundleRevision } : {}),
      })
      at += this.random.int(40, 5_000)
    }
  }

  /** An egress connection through the sidecar to a declared external service (ServiceEntry). */
  egress(
    ms: number,
    from: string,
    host: string,
    ip: string,
    passthrough: boolean,
    bytesSent?: number,
    clientPod?: Pod,
  ): void {
    const client = this.workload(from)
    const pod = clientPod ?? this.pod(client)
    const end = podEnd(client, pod)
    this.lookup(ms, end, host, [ip], client.namespace)
    const duration = this.random.int(300, 20_000)
    const port = this.recorder.tcpConnection(ms, end, { kind: 'world', ip }, 443, { closeMs: ms + duration })
    const sent = bytesSent ?? this.random.int(900, 40_000)
    this.recorder.tcpSession(
      ms + 1,
      { workload: client, pod },
      { kind: 'external', host, ip, port: 443, passthrough },
      port,
      duration,
      sent,
      this.random.int(2_000, 60_000),
    )
  }

  /** The mesh on one day: client traffic, egress, scrapes, probes, the nightly jobs. */
  meshDay(dayStart: number): void {
    for (let m = 0; m < 1440; m++) {
      const ms = dayStart + m * minute
      const expected = this.peakConnectionsPerMinute * dailyCurve(m / 60)
      const count = Math.floor(expected) + (this.random.chance(expected % 1) ? 1 : 0)
      for (let i = 0; i < count; i++) this.connection(ms + this.random.int(0, minute - 1), this.pickEdge())
      for (const egress of declaredEgress) {
        if (!this.mesh.workloads.has(egress.from)) continue
        if (this.random.chance((egress.weight * this.peakConnectionsPerMinute * dailyCurve(m / 60)) / 60))
          this.egress(ms + this.random.int(0, minute - 1), egress.from, egress.host, egress.ip, false)
      }
      // Error reporting from the BFF leaves through the passthrough cluster (no ServiceEntry), declared in intent.
      if (m % 11 === 3)
        this.egress(
          ms + this.random.int(0, minute - 1),
          'frontend/bff',
          'o450917.ingest.sentry.io',
          '34.120.195.249',
          true,
        )
      if (m % this.housekeepingMinutes === 7) this.scrapes(ms)
      if (m % this.housekeepingMinutes === 5) this.probes(ms)
    }
    this.nightlyBackup(dayStart + 1.5 * hour)
    this.blackboxSweep(dayStart + 2 * hour)
  }

  /** Prometheus (no sidecar) reconnecting to every pod's merged metrics port (pilot-agent, not Envoy). */
  private scrapes(ms: number): void {
    const prometheus = this.workload('monitoring/prometheus')
    const pod = prometheus.pods[0]!
    let at = ms
    for (const workload of this.mesh.workloads.values()) {
      if (!workload.sidecar) continue
      for (const target of workload.pods) {
        at += this.random.int(20, 700)
        this.recorder.tcpConnection(at, podEnd(prometheus, pod), podEnd(workload, target), 15020, {
          closeMs: at + 9 * minute + this.random.int(0, 50_000),
        })
      }
    }
  }

  /** Kubelet readiness probes from each node to its pods (Istio rewrites them to pilot-agent :15020). */
  private probes(ms: number): void {
    for (const workload of [...this.mesh.workloads.values(), this.mesh.coredns]) {
      for (const pod of workload.pods) {
        const nodeIp = nodeIps[nodes.indexOf(pod.node)]!
        const at = ms + this.random.int(0, this.housekeepingMinutes * minute - 1)
        this.recorder.tcpConnection(
          at,
          { kind: 'host', ip: nodeIp },
          podEnd(workload, pod),
          workload.sidecar ? 15020 : workload.port === 53 ? 8181 : workload.port,
          { closeMs: at + this.random.int(2, 9), policyVerdict: false },
        )
      }
    }
  }

  /** The nightly pg_dump CronJob: a fresh pod reads postgres for minutes, then uploads to the backup bucket. */
  private nightlyBackup(ms: number): void {
    const postgres = this.workload('data/postgres')
    const suffix = this.random.hex(5).replace(/[aeiou]/g, 'x')
    const job: Workload = {
      namespace: 'data',
      app: 'db-backup',
      serviceAccount: 'db-backup',
      port: 8080,
      protocol: 'tcp',
      sidecar: true,
      opa: false,
      identity: 61_001,
      clusterIp: 'None',
      pods: [
        {
          name: `db-backup-${29_540_000 + Math.floor(ms / 86_400_000)}-${suffix}`,
          ip: `10.42.1.${200 + this.random.int(0, 40)}`,
          node: nodes[1]!,
          endpointId: 3000 + this.random.int(0, 900),
        },
      ],
    }
    const pod = job.pods[0]!
    const end = podEnd(job, pod)
    this.lookup(ms, end, serviceHost(postgres), [postgres.clusterIp], 'data')
    const duration = 6 * minute + this.random.int(0, 90_000)
    const port = this.recorder.tcpConnection(ms, end, podEnd(postgres, postgres.pods[0]!), 5432, {
      closeMs: ms + duration,
    })
    this.recorder.tcpSession(
      ms + 1,
      { workload: job, pod },
      { kind: 'mesh', workload: postgres, pod: postgres.pods[0]! },
      port,
      duration,
      40_000,
      2_400_000_000,
    )
    const upload = ms + duration + 5_000
    const bucket = 'northwind-backups.s3.eu-west-1.amazonaws.com'
    this.lookup(upload, end, bucket, ['52.218.40.33'], 'data')
    const uploadPort = this.recorder.tcpConnection(upload, end, { kind: 'world', ip: '52.218.40.33' }, 443, {
      closeMs: upload + 4 * minute,
    })
    this.recorder.tcpSession(
      upload + 1,
      { workload: job, pod },
      { kind: 'external', host: bucket, ip: '52.218.40.33', port: 443, passthrough: false },
      uploadPort,
      4 * minute,
      2_150_000_000,
      48_000,
    )
  }

  /**
   * The blackbox exporter's nightly sweep (declared monitoring): a TCP connect to every service
   * port and to the closed port 9999 (dropped by policy, a declared known drop). Its plaintext
   * connects reach the sidecars, which find no filter chain for them (STRICT): `NR` lines.
   */
  blackboxSweep(ms: number): void {
    const blackbox = this.workload('monitoring/blackbox-exporter')
    const pod = blackbox.pods[0]!
    let at = ms
    for (const workload of this.mesh.workloads.values()) {
      if (workload.namespace === 'monitoring') continue
      const target = workload.pods[0]!
      at += this.random.int(200, 1500)
      const port = this.recorder.tcpConnection(
        at,
        podEnd(blackbox, pod),
        podEnd(workload, target),
        workload.port,
        { closeMs: at + 15 },
      )
      if (workload.sidecar && workload.app !== 'istio-ingressgateway')
        this.recorder.plaintextRefused(at + 2, pod.ip, port, workload, target)
      at += this.random.int(200, 1500)
      this.recorder.tcpConnection(at, podEnd(blackbox, pod), podEnd(workload, target), 9999, {
        drop: 'POLICY_DENIED',
      })
    }
  }

  /** The people's sign-ins on a workday, service tokens every quarter hour, internet noise. */
  identityDay(dayStart: number, options: { skipPeople?: Set<string>; typoRate?: number } = {}): void {
    const office = (person: Person) => officeNetwork(10 + (person.login.length % 30))
    for (const person of this.people) {
      if (options.skipPeople?.has(person.login)) continue
      if (person.login.startsWith('ops-breakglass')) continue
      const network = person.officeGoer && this.random.chance(0.8) ? office(person) : person.home
      const start = dayStart + 7 * hour + this.random.int(0, 150) * minute
      if (this.random.chance(options.typoRate ?? 0.04))
        this.okta.failedPassword(start - this.random.int(8_000, 40_000), person, network, person.device)
      const session = this.okta.signIn(start, person, network, {
        apps: this.random.int(1, 4),
        spreadMs: 7 * hour,
      })
      if (this.random.chance(0.5))
        this.okta.signOut(dayStart + 17 * hour + this.random.int(0, 150) * minute, person, network, session)
    }
    for (let q = 0; q < 96; q++) {
      this.okta.serviceToken(
        dayStart + q * 15 * minute + this.random.int(0, 30_000),
        'ci-runner',
        '0oa1ci2runner3x4y5z6',
        officeNetwork(5),
      )
      if (q % 4 === 1)
        this.okta.serviceToken(
          dayStart + q * 15 * minute + this.random.int(0, 30_000),
          'billing-batch',
          '0oa9billing8batch7q6',
          officeNetwork(6),
        )
    }
    // The internet: a handful of sign-in attempts for logins that do not exist, and a stale
    // password manager entry of a real user (one failure from abroad).
    const noise = this.random.int(10, 18)
    for (let i = 0; i < noise; i++) {
      const ms = dayStart + this.random.int(0, 86_399_000)
      const [prefix, city, country, lat, lon] = this.random.pick([
        ['103.151', 'Hanoi', 'Vietnam', 21.0278, 105.8342],
        ['45.83', 'Rotterdam', 'Netherlands', 51.9244, 4.4777],
        ['91.92', 'Bucharest', 'Romania', 44.4268, 26.1025],
        ['177.54', 'Sao Paulo', 'Brazil', -23.5505, -46.6333],
      ] as const)
      const ip = `${prefix}.${this.random.int(1, 254)}.${this.random.int(1, 254)}`
      const net = {
        ip,
        city,
        state: '',
        country,
        postalCode: '',
        lat,
        lon,
        asNumber: this.random.int(10_000, 60_000),
        asOrg: 'residential broadband',
        isp: 'residential broadband',
        domain: '',
        isProxy: false,
      }
      const device = {
        rawUserAgent: 'python-requests/2.32.3',
        browser: 'UNKNOWN',
        os: 'Unknown',
        device: 'Unknown' as const,
        fingerprint: this.random.hex(32),
      }
      this.okta.unknownUser(
        ms,
        this.random.pick([
          'admin',
          'test',
          'info@northwind.example',
          'administrator',
          'j.smith@northwind.example',
        ]),
        net,
        device,
      )
    }
    const stale = this.random.pick(this.people.slice(2))
    this.okta.failedPassword(
      dayStart + this.random.int(0, 86_399_000),
      stale,
      { ...stale.home, ip: stale.home.ip.replace(/\.\d+$/, '.3') },
      stale.device,
    )
  }

  get activity(): OktaActivity {
    return this.okta
  }
}
