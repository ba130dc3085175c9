// A normal day in the mesh, and the habits that are part of every day: the shop's traffic on a
// working day's rhythm, egress to the declared destinations, Prometheus scraping every workload,
// the blackbox exporter's nightly sweep and its noisy known drops, and people signing in (a few
// typing their password wrong two or three times).
import { workdayLoad } from './demo-day.ts'
import {
  egressConnection,
  httpRequest,
  hubbleConnection,
  routerSolicitationDrop,
  type TrafficContext,
  tcpConnection,
  workloadConnection,
} from './mesh-traffic.ts'
import { type ClientOrigin, oktaStep, sessionId, signIn, userOrigin } from './okta-traffic.ts'
import type { Random } from './random.ts'
import {
  type EdgeRequest,
  meshEdges,
  meshNodes,
  meshWorkload,
  meshWorkloads,
  partnerIngest,
  type ScenarioUser,
  scenarioUsers,
  stripeApi,
} from './scenario-mesh.ts'
import { workloadEndpoint } from './wire/hubble-flow-record.ts'

const minuteMs = 60_000
const hourMs = 60 * minuteMs

/** A typo burst: a person failing their password a few times, then signing in. */
export interface TypoBurst {
  user: string
  from: number
  to: number
}

/** Options of {@link generateNormalDay}. */
export interface NormalDayOptions {
  /** 00:00 UTC of the day, epoch ms. */
  dayStart: number
  /** Multiplier of request rates. */
  scale: number
  /** People whose sign-ins the incidents write themselves (the last day). */
  excludedUsers: ReadonlySet<string>
}

function pickWeighted(random: Random, requests: readonly EdgeRequest[]): EdgeRequest {
  const total = requests.reduce((sum, request) => sum + request.weight, 0)
  let roll = random.next() * total
  for (const request of requests) {
    roll -= request.weight
    if (roll < 0) return request
  }
  return requests.at(-1)!
}

/** A path with its `{id}` filled in. */
export function concretePath(random: Random, path: string): string {
  return path.replace('{id}', String(random.int(10_000, 99_999)))
}

const monitoredWorkloads = meshWorkloads.filter((workload) => workload.metrics)
const shopWorkloads = meshWorkloads.filter((workload) => workload.namespace === 'shop')
/** Workloads the nightly blackbox sweep probes (all but monitoring itself and the last day's newcomer). */
const sweptWorkloads = meshWorkloads.filter(
  (workload) => workload.namespace !== 'monitoring' && workload.ref !== 'analytics/legacy-export',
)

/** The shop's traffic for one minute: every edge at the minute's load, and payments' calls to Stripe. */
function minuteOfTraffic(context: TrafficContext, minute: number, load: number): void {
  const { random } = context
  for (const edge of meshEdges) {
    const from = meshWorkload(edge.from)
    const to = meshWorkload(edge.to)
    const count = random.poisson(edge.rate * load)
    for (let n = 0; n < count; n++) {
      const ts = minute + random.int(0, minuteMs - 1)
      if (edge.requests === undefined) {
        tcpConnection(context, {
          ts,
          from,
          to,
          bytesUp: Math.round(random.logNormal(900, 0.8)),
          bytesDown: Math.round(random.logNormal(14_000, 1.1)),
          durationMs: Math.round(random.logNormal(120, 1)),
        })
        continue
      }
      const request = pickWeighted(random, edge.requests)
      const path = concretePath(random, request.path)
      let outcome = httpRequest(context, {
        ts,
        from,
        to,
        method: request.method,
        path,
        newConnection: random.chance(0.3),
        opaDeny: random.chance(0.002),
      })
      // Clients retry a refused charge twice, with backoff.
      for (let retry = 1; retry <= 2 && outcome.denied && path === '/v1/charges'; retry++) {
        outcome = httpRequest(context, {
          ts: ts + retry * random.int(400, 1_500),
          from,
          to,
          method: request.method,
          path,
          newConnection: false,
        })
      }
    }
  }
  const payments = meshWorkload('payments/payments')
  const stripeCalls = random.poisson(1.2 * load)
  for (let n = 0; n < stripeCalls; n++) {
    egressConnection(context, {
      ts: minute + random.int(0, minuteMs - 1),
      from: payments,
      to: random.pick(stripeApi),
      bytesUp: Math.round(random.logNormal(2_400, 0.4)),
      bytesDown: Math.round(random.logNormal(5_200, 0.5)),
      durationMs: Math.round(random.logNormal(380, 0.5)),
    })
  }
}

/** Monitoring for one day: scrapes every 5 minutes, blackbox's probes of :9999 every 2, the 02:00 sweep. */
function monitoringDay(context: TrafficContext, dayStart: number): void {
  const { random } = context
  const prometheus = meshWorkload('monitoring/prometheus')
  const blackbox = meshWorkload('monitoring/blackbox')
  for (let at = dayStart; at < dayStart + 24 * hourMs; at += 5 * minuteMs) {
    monitoredWorkloads.forEach((target, index) => {
      httpRequest(context, {
        ts: at + 3_000 + index * 1_300 + random.int(0, 200),
        from: prometheus,
        to: target,
        method: 'GET',
        path: '/metrics',
        port: 9090,
        newConnection: true,
        metrics: false,
        responseBytes: Math.round(random.logNormal(48_000, 0.3)),
        userAgent: 'Prometheus/2.53.1',
      })
    })
  }
  // The blackbox exporter probes a port the shop never opened: dropped, all day (declared in knownDrops).
  for (let at = dayStart; at < dayStart + 24 * hourMs; at += 2 * minuteMs) {
    shopWorkloads.forEach((target, index) => {
      workloadConnection(context, at + 11_000 + index * 900, blackbox, target, 9999, 'DROPPED')
    })
  }
  // Every node drops a pod's router solicitation now and then (datapath noise, not policy).
  for (const node of meshNodes) {
    for (
      let at = dayStart + random.int(0, 20 * minuteMs);
      at < dayStart + 24 * hourMs;
      at += random.int(15, 45) * minuteMs
    )
      routerSolicitationDrop(context, at, node.id)
  }
  // 02:00: the nightly sweep probes every service port, metrics port and Istio health port.
  let at = dayStart + 2 * hourMs + 30_000
  for (const target of sweptWorkloads) {
    const ports = [target.port, ...(target.metrics ? [9090] : []), ...(target.sidecar ? [15021] : [])]
    for (const port of ports) {
      hubbleConnection(context, {
        ts: at,
        from: blackbox,
        dstIp: target.ip,
        dstPort: port,
        destination: workloadEndpoint(target),
        to: target,
        verdict: 'FORWARDED',
        destinationService: { name: target.name, namespace: target.namespace },
      })
      at += random.int(800, 2_500)
    }
  }
}

/** Analytics' hourly upload to the partner (declared egress): a few MB a day. */
function analyticsUploads(context: TrafficContext, dayStart: number): void {
  const { random } = context
  const etl = meshWorkload('analytics/analytics-etl')
  for (let hour = 0; hour < 24; hour++) {
    egressConnection(context, {
      ts: dayStart + hour * hourMs + 5 * minuteMs + random.int(0, 30_000),
      from: etl,
      to: partnerIngest,
      bytesUp: random.int(150_000, 300_000),
      bytesDown: random.int(800, 2_000),
      durationMs: random.int(400, 1_500),
    })
  }
}

/** An e-mail address with one letter of its name dropped or doubled (a typo). */
function mistyped(email: string, random: Random): string {
  const [name, domain] = email.split('@') as [string, string]
  const at = random.int(1, name.length - 2)
  const typo = random.chance(0.5)
    ? name.slice(0, at) + name.slice(at + 1)
    : name.slice(0, at) + name[at] + name.slice(at)
  return `${typo}@${domain}`
}

/** A time within a person's working hours on the day. */
function workTime(random: Random, user: ScenarioUser, dayStart: number): number {
  const from = dayStart + user.office.workStartHour * hourMs
  const to = dayStart + user.office.workEndHour * hourMs
  return random.int(from, to - 1)
}

/** The people's sign-ins of one day; returns the typo bursts. */
function signInsOfDay(context: TrafficContext, options: NormalDayOptions, weekend: boolean): TypoBurst[] {
  const { random, sink } = context
  const people = scenarioUsers.filter((user) => !options.excludedUsers.has(user.email))
  for (const user of people) {
    const sessions = random.poisson(weekend ? 0.15 : 1.4)
    for (let n = 0; n < sessions; n++) {
      const roll = random.next()
      const origin: ClientOrigin = userOrigin(
        user,
        roll < 0.72 ? 'office' : roll < 0.94 ? 'home' : 'vpn',
        random,
      )
      const ts = workTime(random, user, options.dayStart)
      if (random.chance(0.015)) {
        // A mistyped user name: Okta knows nobody by it (VERIFICATION_ERROR, actor `unknown`).
        oktaStep(sink, random, {
          ts: ts - random.int(8_000, 30_000),
          eventType: 'user.session.start',
          result: 'FAILURE',
          reason: 'VERIFICATION_ERROR',
          actor: { unknown: mistyped(user.email, random) },
          origin,
          sessionId: sessionId(random),
        })
      }
      signIn(sink, random, { ts, user, origin, failures: random.chance(0.02) ? 1 : 0 })
    }
  }
  const bursts: TypoBurst[] = []
  if (weekend) return bursts
  const chosen = new Set<string>()
  while (bursts.length < 2) {
    const user = random.pick(people)
    if (chosen.has(user.email)) continue
    chosen.add(user.email)
    const from = workTime(random, user, options.dayStart)
    const to = signIn(sink, random, {
      ts: from,
      user,
      origin: userOrigin(user, 'office', random),
      failures: random.int(2, 3),
    })
    bursts.push({ user: user.email, from, to })
  }
  return bursts
}

/**
 * One normal day: the shop's traffic on a working day's rhythm (a third of it on weekends), the
 * declared egress, monitoring, and sign-ins. Returns the day's typo bursts (benign confounders).
 */
export function generateNormalDay(context: TrafficContext, options: NormalDayOptions): TypoBurst[] {
  const weekday = new Date(options.dayStart).getUTCDay()
  const weekend = weekday === 0 || weekday === 6
  for (let minute = options.dayStart; minute < options.dayStart + 24 * hourMs; minute += minuteMs) {
    const load = workdayLoad(minute) * (weekend ? 0.3 : 1) * options.scale
    minuteOfTraffic(context, minute, load)
  }
  monitoringDay(context, options.dayStart)
  analyticsUploads(context, options.dayStart)
  return signInsOfDay(context, options, weekend)
}
