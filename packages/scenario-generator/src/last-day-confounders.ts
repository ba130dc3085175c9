// Benign confounders of the last day, labelled severity `none`: what looks like an incident but is
// not, and must not page. Monitoring, known drops and typo bursts happen every day (normal-day.ts);
// here they get their labels, and the declared deployment and the two journeys are written.
import { incidentUsers, incidentWindows } from './last-day-incidents.ts'
import { httpRequest, type TrafficContext } from './mesh-traffic.ts'
import type { TypoBurst } from './normal-day.ts'
import { signIn, userOrigin } from './okta-traffic.ts'
import type { ScenarioLabel } from './scenario.ts'
import { meshWorkload, networks, places } from './scenario-mesh.ts'

const minuteMs = 60_000
const hourMs = 60 * minuteMs

/** The id of the declared change of the last day (in the PalisadeIntent file). */
export const declaredChangeId = 'CHG-2031'

/** CHG-2031: checkout v2 writes ledger entries itself, from 20 minutes into its change window on. */
function declaredDeployment(context: TrafficContext, lastDay: number): ScenarioLabel {
  const { random } = context
  const checkout = meshWorkload('shop/checkout')
  const ledger = meshWorkload('payments/ledger')
  const window = incidentWindows(lastDay).change
  for (let ts = window.from + 20 * minuteMs; ts < lastDay + 24 * hourMs; ts += random.int(60_000, 180_000)) {
    httpRequest(context, {
      ts,
      from: checkout,
      to: ledger,
      method: 'POST',
      path: '/v1/entries',
      newConnection: random.chance(0.3),
    })
  }
  return {
    id: 'benign-declared-deployment',
    category: 'benign',
    rules: ['lateral.new_edge', 'lateral.cross_namespace', 'policy.drift'],
    severity: 'none',
    from: window.from,
    to: window.to,
    entity: 'shop/checkout',
    description: `${declaredChangeId}: shop/checkout v2 starts calling payments/ledger:8443, an edge the change calendar declares (and NetworkPolicy allows)`,
  }
}

/** A Berlin sign-in, then 20 minutes later one through the corporate VPN (GeoIP: Ashburn, US), on `day`. */
export function vpnJourney(context: TrafficContext, day: number, id = 'benign-vpn-travel'): ScenarioLabel {
  const { random, sink } = context
  const user = incidentUsers.vpnTraveller
  const from = day + 9 * hourMs
  signIn(sink, random, { ts: from, user, origin: userOrigin(user, 'office', random) })
  const to = signIn(sink, random, { ts: from + 20 * minuteMs, user, origin: userOrigin(user, 'vpn', random) })
  return {
    id,
    category: 'benign',
    rules: ['identity.impossible_travel'],
    severity: 'none',
    from,
    to,
    entity: user.email,
    description: `${user.email} signs in from Berlin, then 20 minutes later through the corporate VPN (192.0.2.0/24, AS64500, GeoIP Ashburn): not travel`,
  }
}

/** A Berlin sign-in, then New York ten hours later: a flight. */
function plausibleTravel(context: TrafficContext, lastDay: number): ScenarioLabel {
  const { random, sink } = context
  const user = incidentUsers.flyer
  const from = lastDay + 6 * hourMs
  signIn(sink, random, { ts: from, user, origin: userOrigin(user, 'home', random) })
  const to = signIn(sink, random, {
    ts: from + 10 * hourMs,
    user,
    origin: {
      ip: '108.27.10.44',
      place: places.newYork,
      network: networks.verizon,
      isProxy: false,
      userAgent: userOrigin(user, 'home', random).userAgent,
    },
  })
  return {
    id: 'benign-plausible-travel',
    category: 'benign',
    rules: ['identity.impossible_travel'],
    severity: 'none',
    from,
    to,
    entity: user.email,
    description: `${user.email} signs in from Berlin, then from New York 10 hours later (6,400 km: a flight)`,
  }
}

/** The labels of the every-day habits, for the last day. */
function habitLabels(lastDay: number, typoBursts: readonly TypoBurst[]): ScenarioLabel[] {
  const dayEnd = lastDay + 24 * hourMs
  return [
    {
      id: 'benign-nightly-sweep',
      category: 'benign',
      rules: ['lateral.fan_out_scan', 'lateral.new_edge'],
      severity: 'none',
      from: lastDay + 2 * hourMs,
      to: lastDay + 2 * hourMs + 5 * minuteMs,
      entity: 'monitoring/blackbox',
      description:
        'the nightly 02:00 blackbox sweep probes every service port, metrics port and Istio health port (about 40 in 2 minutes), every night',
    },
    {
      id: 'benign-prometheus-scrapes',
      category: 'benign',
      rules: ['lateral.fan_out_scan', 'mtls.plaintext_in_strict'],
      severity: 'none',
      from: lastDay,
      to: dayEnd,
      entity: 'monitoring/prometheus',
      description:
        'monitoring/prometheus (no sidecar) scrapes every workload on :9090 in plaintext every 5 minutes; PeerAuthentication makes 9090 PERMISSIVE',
    },
    {
      id: 'benign-known-drops',
      category: 'benign',
      rules: ['lateral.fan_out_scan', 'policy.drift'],
      severity: 'none',
      from: lastDay,
      to: dayEnd,
      entity: 'monitoring/blackbox',
      description:
        'monitoring/blackbox → shop/*:9999 is dropped every 2 minutes, all day, every day: declared in knownDrops',
    },
    ...typoBursts.map(
      (burst, index): ScenarioLabel => ({
        id: `benign-typo-burst-${index + 1}`,
        category: 'benign',
        rules: ['identity.brute_force', 'identity.password_spray'],
        severity: 'none',
        from: burst.from,
        to: burst.to,
        entity: burst.user,
        description: `${burst.user} mistypes the password 2-3 times, then signs in (a habit of every day)`,
      }),
    ),
  ]
}

/** The last day's benign confounders, written into the streams where they are not every-day habits. */
export function lastDayConfounders(
  context: TrafficContext,
  lastDay: number,
  typoBursts: readonly TypoBurst[],
): ScenarioLabel[] {
  return [
    declaredDeployment(context, lastDay),
    vpnJourney(context, lastDay),
    plausibleTravel(context, lastDay),
    ...habitLabels(lastDay, typoBursts),
  ]
}
