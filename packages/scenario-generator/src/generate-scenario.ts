import { lastDayConfounders, vpnJourney } from './last-day-confounders.ts'
import { incidentUsers, incidentWindows, lastDayIncidents } from './last-day-incidents.ts'
import { istioSeries, type TrafficContext, tlsStatSeries, tlsStats } from './mesh-traffic.ts'
import { writeCertificateProbes, writePolicyChanges } from './native-records.ts'
import { generateNormalDay, type TypoBurst } from './normal-day.ts'
import { createPolicyTimeline } from './policy-timeline.ts'
import { createRandom } from './random.ts'
import type { Scenario, ScenarioLabel, ScenarioOptions } from './scenario.ts'
import { scenarioIntent } from './scenario-intent.ts'
import { meshEdges, meshWorkload, meshWorkloads, scenarioTenant } from './scenario-mesh.ts'
import { createScenarioSink, type ScenarioSink } from './scenario-sink.ts'

const dayMs = 24 * 3_600_000

/** The options, checked, with their defaults. */
function resolveOptions(options: ScenarioOptions): {
  seed: number
  days: number
  start: number
  scale: number
  incidents: boolean
} {
  const days = options.days ?? 3
  const start = options.start ?? Date.UTC(2026, 0, 5)
  const scale = options.scale ?? 1
  if (!Number.isInteger(days) || days < 1)
    throw new RangeError(`days must be a whole number >= 1, not ${days}`)
  if (!Number.isInteger(start) || start % dayMs !== 0)
    throw new RangeError('start must be 00:00 UTC of a day (epoch ms)')
  if (!(scale > 0)) throw new RangeError(`scale must be > 0, not ${scale}`)
  return { seed: options.seed, days, start, scale, incidents: options.incidents ?? true }
}

/**
 * Counters that exist before the scenario starts (the proxies have been counting since they
 * started): every sidecar's TLS stats, and the Istio metrics of the normal edges.
 */
function declareRunningCounters(sink: ScenarioSink, random: TrafficContext['random']): void {
  for (const workload of meshWorkloads) {
    if (!workload.sidecar || workload.namespace === 'istio-system') continue
    for (const stat of tlsStats) {
      const base =
        stat === 'handshake'
          ? random.int(20_000, 90_000)
          : stat === 'connection_error'
            ? random.int(0, 40)
            : 0
      sink.series({ ...tlsStatSeries(workload, stat), base })
    }
  }
  for (const edge of meshEdges) {
    const series = istioSeries(meshWorkload(edge.from), meshWorkload(edge.to), 200)
    sink.series({ ...series, base: random.int(50_000, 900_000) })
  }
}

/**
 * A seeded, labelled scenario of `days` days in the scenario mesh, in real wire formats: normal
 * traffic and every-day habits on all days, incidents and benign confounders on the last day (each
 * with its label), and the mesh's declared intent. Deterministic for a seed.
 */
export function generateScenario(options: ScenarioOptions): Scenario {
  const { seed, days, start, scale, incidents } = resolveOptions(options)
  const end = start + days * dayMs
  const lastDay = end - dayMs
  const random = createRandom(seed)
  const sink = createScenarioSink(start, end)
  const policy = createPolicyTimeline(start, days, incidents)
  const windows = incidentWindows(lastDay)
  const context: TrafficContext = {
    random,
    sink,
    policy,
    opaSilent: (ep, ts) =>
      incidents &&
      ep === windows.opaGap.enforcementPoint &&
      ts >= windows.opaGap.from &&
      ts < windows.opaGap.to,
    handshakesFail: (workload, ts) =>
      incidents &&
      workload.ref === windows.handshakeFailures.workload &&
      ts >= windows.handshakeFailures.from &&
      ts < windows.handshakeFailures.to,
    authenticatedPairs: new Map(),
  }
  declareRunningCounters(sink, random)
  const incidentEmails = new Set(Object.values(incidentUsers).map((user) => user.email))
  let lastDayBursts: TypoBurst[] = []
  const soakLabels: ScenarioLabel[] = []
  for (let day = 0; day < days; day++) {
    const dayStart = start + day * dayMs
    lastDayBursts = generateNormalDay(context, {
      dayStart,
      scale,
      // The last day's incidents and journeys write these people's sign-ins themselves.
      excludedUsers: dayStart === lastDay ? incidentEmails : new Set(),
    })
    // A soak has the travellers' habits every day, not only on the last.
    if (!incidents && dayStart !== lastDay)
      soakLabels.push(vpnJourney(context, dayStart, `benign-vpn-travel-day-${day + 1}`))
  }
  const labels = [
    ...(incidents ? lastDayIncidents(context, lastDay) : []),
    ...lastDayConfounders(context, lastDay, lastDayBursts),
    ...soakLabels,
  ].sort((a, b) => a.from - b.from)
  writePolicyChanges(sink, policy)
  writeCertificateProbes(sink, start, end, incidents ? windows.shortCertificate : Number.POSITIVE_INFINITY)
  return {
    start,
    end,
    streams: sink.finish(),
    labels,
    intent: scenarioIntent(lastDay),
    tenant: scenarioTenant,
  }
}
