// Realistic flow events for the benches, so that every bench measures the same event shapes: the
// scenario generator's mesh traffic (Hubble flows and Envoy access logs, real wire formats) parsed
// and validated once, as the collector does, then repeated under fresh event ids up to the count.
// The same generated day as bench:ingest replays (seed 1, no incidents, scale 0.1).
import { formatParsers } from '@palisade/formats'
import { generateScenario } from '@palisade/scenario-generator'
import { type FlowEvent, validateEvent } from '@palisade/schema'

const dayMs = 86_400_000

/** Flow events as a client sends them (no tenant, no `observed_at`), in event-time order. */
export interface BenchFlowEvents {
  /** The scenario's tenant: the collector is to authenticate the bench as this tenant. */
  tenant: string
  events: Omit<FlowEvent, 'tenant' | 'observed_at'>[]
}

/** The flow events of one generated day of the realistic scenario, parsed and validated once. */
export interface ScenarioDayFlows extends BenchFlowEvents {
  /** Where the generated day starts (epoch ms). */
  start: number
}

/**
 * One generated day of the realistic scenario (seeded, yesterday, so that the collector's
 * retention keeps it), its flow records parsed by their own format parsers and validated as the
 * collector does, in event-time order. At scale 0.1 (the default) the day holds about 19,000 flows.
 */
export function scenarioDayFlows(options: { seed?: number; scale?: number } = {}): ScenarioDayFlows {
  const start = Math.floor(Date.now() / dayMs) * dayMs - dayMs
  const scenario = generateScenario({
    seed: options.seed ?? 1,
    days: 1,
    start,
    incidents: false,
    scale: options.scale ?? 0.1,
  })
  const events: Omit<FlowEvent, 'tenant' | 'observed_at'>[] = []
  for (const stream of scenario.streams) {
    const parser = formatParsers.get(stream.format)
    if (!parser?.kinds.includes('flow')) continue
    const texts = stream.items.map((item) => item.text)
    const parsed = parser.parse(
      stream.join === 'json-array' ? `[${texts.join(',')}]` : texts.join('\n'),
      stream.options ?? {},
    )
    for (const record of parsed.records) {
      if (record.kind !== 'flow') continue
      const result = validateEvent('flow', record.event, { tenant: scenario.tenant, observedAt: 0 })
      if (!result.ok) continue
      const { tenant: _tenant, observed_at: _observedAt, ...event } = result.event
      events.push(event)
    }
  }
  events.sort((a, b) => a.ts - b.ts)
  return { tenant: scenario.tenant, start: scenario.start, events }
}

/**
 * `count` flow events from {@link scenarioDayFlows}, repeated with `-r<n>` id suffixes when the
 * day holds fewer.
 */
export function benchFlowEvents(
  count: number,
  options: { seed?: number; scale?: number } = {},
): BenchFlowEvents {
  const { tenant, events: day } = scenarioDayFlows(options)
  const events = Array.from({ length: count }, (_, i) => {
    const event = day[i % day.length]!
    const round = Math.floor(i / day.length)
    return round === 0 ? event : { ...event, event_id: `${event.event_id}-r${round}` }
  })
  return { tenant, events }
}
